/**
 * `--set key=value` overrides, shared by every YAML config: dotted keys, values parsed as YAML, path
 * values resolved against the current folder (where the user typed them), never into JavaScript's
 * object machinery.
 */
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { WemoeError } from '../errors.js';

/** Key parts that reach into JavaScript's object machinery instead of the config. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `key.path=value` → [['key', 'path'], parsed value]. */
export function parseOverride(text: string): [string[], unknown] {
  const eq = text.indexOf('=');
  const key = eq > 0 ? text.slice(0, eq).trim() : '';
  if (key === '' || key.split('.').some((part) => part === '')) {
    throw new WemoeError(
      `--set ${text}: expected key=value with a dotted key such as parameters.scaling_factor=0.5`,
    );
  }
  let value: unknown;
  try {
    value = parseYaml(text.slice(eq + 1));
  } catch {
    throw new WemoeError(`--set ${text}: the value is not valid YAML`);
  }
  const parts = key.split('.');
  const unsafe = parts.find((part) => UNSAFE_KEYS.has(part));
  if (unsafe !== undefined)
    throw new WemoeError(`--set ${key}: '${unsafe}' is not a config key (it would change every object)`);
  return [parts, value ?? null];
}

export interface OverrideOptions {
  /** The config file (or 'merge config'), for errors. */
  readonly where: string;
  /** Whether the string `value` set at dotted `key` is a path (resolved against the current folder). */
  readonly isPath: (key: string, value: string) => boolean;
}

/** Applies `--set` overrides to a parsed YAML document in place, creating mappings on the way. */
export function applyOverrides(
  doc: Record<string, unknown>,
  overrides: readonly string[],
  options: OverrideOptions,
): void {
  for (const text of overrides) {
    const [key, value] = parseOverride(text);
    const dotted = key.join('.');
    let node = doc;
    for (const part of key.slice(0, -1)) {
      const next = node[part];
      if (next === undefined || next === null) node[part] = {};
      else if (typeof next !== 'object' || Array.isArray(next))
        throw new WemoeError(`${options.where}: --set ${dotted}: '${part}' is not a mapping`);
      node = node[part] as Record<string, unknown>;
    }
    const isPath = typeof value === 'string' && options.isPath(dotted, value);
    node[key[key.length - 1]] = isPath ? resolve(value) : value;
  }
}
