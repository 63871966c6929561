/** Merge methods by name. Adding a method = one file plus one line in METHODS. */
import type { z } from 'zod';
import { WemoeError } from '../errors.js';
import { adamergingMethod } from './adamerging.js';
import { dareMethod } from './dare.js';
import type { MergeMethod } from './method.js';
import { simpleAverageMethod } from './simple-average.js';
import { taskArithmeticMethod } from './task-arithmetic.js';
import { tiesMethod } from './ties.js';
import { wemoeMethod } from './wemoe.js';

const METHODS: MergeMethod[] = [
  simpleAverageMethod,
  taskArithmeticMethod,
  tiesMethod,
  dareMethod,
  adamergingMethod,
  wemoeMethod,
];

const registry = new Map<string, MergeMethod>(METHODS.map((m) => [m.name, m]));

/** Adds a method (a plugin, or a test-time method living in its own module); names are unique. */
export function registerMethod(method: MergeMethod): void {
  if (registry.has(method.name)) throw new WemoeError(`merge method '${method.name}' is already registered`);
  registry.set(method.name, method);
}

export function methodNames(): string[] {
  return [...registry.keys()];
}

export function getMethod(name: string): MergeMethod {
  const method = registry.get(name);
  if (!method) {
    throw new WemoeError(`unknown merge method '${name}'; known methods: ${methodNames().join(', ')}`);
  }
  return method;
}

/** The method's parameters with defaults filled in; `where` prefixes errors (e.g. the config file). */
export function parseMethodParams(method: MergeMethod, raw: unknown, where: string): unknown {
  const result = method.params.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = ['parameters', ...issue.path.map(String)].join('.');
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  throw new WemoeError(`${where}: ${path}: ${issueMessage(issue)} for method '${method.name}'${more}`);
}

/** A zod issue as one line; unknown keys name the known ones. */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  return issue.message.replace(/\s+/g, ' ');
}
