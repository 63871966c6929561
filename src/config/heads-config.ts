/**
 * The YAML config of `wemoe heads`: `model` (a full CLIPModel folder), `tasks: {name: {classes,
 * templates}}` (each a YAML list, a text file with one entry per line, `builtin` or `builtin:<task>`),
 * `output`, optional `batch_size`. `--set key=value` overrides as for `wemoe merge`; relative paths
 * resolve against the config file's folder (override paths: the current folder).
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { WemoeError } from '../errors.js';
import { issueMessage } from '../methods/registry.js';
import type { HeadsConfig, TextsSpec } from '../models/zeroshot/heads-config.js';
import { BUILTIN } from '../models/zeroshot/task-texts.js';
import { applyOverrides } from './overrides.js';
import { readYamlFile } from './yaml-file.js';

export type { HeadsConfig };

const texts = z.union([z.array(z.string()).min(1), z.string().min(1)]);

const schema = z.strictObject({
  model: z.string(),
  tasks: z
    .record(z.string(), z.strictObject({ classes: texts, templates: texts }))
    .refine((t) => Object.keys(t).length > 0, 'expected at least one task'),
  output: z.string(),
  batch_size: z.number().int().positive().default(256),
});

const PATH_KEYS = [/^model$/, /^output$/, /^tasks\.[^.]+\.(classes|templates)$/];

const isBuiltin = (value: string) => value === BUILTIN || value.startsWith(`${BUILTIN}:`);

/** A file path is resolved; a list or `builtin` stays as it is. */
function resolveTexts(spec: TextsSpec, at: (p: string) => string): TextsSpec {
  return typeof spec === 'string' && !isBuiltin(spec) ? at(spec) : spec;
}

const isHeadsPath = (key: string, value: string) => !isBuiltin(value) && PATH_KEYS.some((p) => p.test(key));

/** Validates a parsed YAML document (overrides applied first) into a HeadsConfig with absolute paths. */
export function parseHeadsConfig(
  raw: unknown,
  options: { baseDir?: string; source?: string; overrides?: readonly string[] } = {},
): HeadsConfig {
  const where = options.source ?? 'heads config';
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new WemoeError(`${where}: expected a YAML mapping`);
  const doc = structuredClone(raw) as Record<string, unknown>;
  applyOverrides(doc, options.overrides ?? [], { where, isPath: isHeadsPath });
  const result = schema.safeParse(doc);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    throw new WemoeError(`${where}: ${key}: ${issueMessage(issue)}`);
  }
  const c = result.data;
  const at = (p: string) => resolve(options.baseDir ?? process.cwd(), p);
  return {
    model: at(c.model),
    output: at(c.output),
    batch_size: c.batch_size,
    tasks: Object.fromEntries(
      Object.entries(c.tasks).map(([task, t]) => [
        task,
        { classes: resolveTexts(t.classes, at), templates: resolveTexts(t.templates, at) },
      ]),
    ),
    source: options.source,
  };
}

/** Reads, overrides, validates and resolves a heads config file. */
export function loadHeadsConfig(path: string, overrides: readonly string[] = []): HeadsConfig {
  const raw = readYamlFile(path, 'heads config');
  return parseHeadsConfig(raw, { source: path, baseDir: dirname(resolve(path)), overrides });
}
