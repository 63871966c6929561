/**
 * Every merge method by name, static (merge/: tensor by tensor, streamed) or test-time (adapt/: models and
 * data in memory). Adding a method = one file in merge/ or adapt/ plus one line in METHODS.
 */
import type { z } from 'zod';
import { adamergingMethod } from '../adapt/adamerging.js';
import type { TestTimeMethod } from '../adapt/test-time-method.js';
import { wemoeMethod } from '../adapt/wemoe.js';
import { WemoeError } from '../errors.js';
import { dareMethod } from '../merge/dare.js';
import type { StaticMergeMethod } from '../merge/method.js';
import { simpleAverageMethod } from '../merge/simple-average.js';
import { taskArithmeticMethod } from '../merge/task-arithmetic.js';
import { tiesMethod } from '../merge/ties.js';

/** One description of every method: name, paper, parameter schema, and its kind ('static' or 'test-time'). */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds methods of every parameter type
export type MergeMethod = StaticMergeMethod<any> | TestTimeMethod<any>;

const METHODS: readonly MergeMethod[] = [
  simpleAverageMethod,
  taskArithmeticMethod,
  tiesMethod,
  dareMethod,
  adamergingMethod,
  wemoeMethod,
];

const registry = new Map<string, MergeMethod>(METHODS.map((m) => [m.name, m]));

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
