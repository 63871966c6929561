/**
 * The YAML merge config of `wemoe merge`: parsed with `yaml`, validated with `zod`, `--set key=value`
 * overrides applied (dotted keys, values parsed as YAML), the method's parameters filled with their
 * defaults, and relative paths resolved against `root` when the config has one, else the config file's
 * folder (override paths: the current folder; `--set root=DIR` moves every relative path of the file).
 * Every error is one line naming the file and the key.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { WemoeError } from '../errors.js';
import { getMethod, issueMessage, methodNames, parseMethodParams } from '../methods/registry.js';
import { type MergeConfig, OUTPUT_DTYPES } from '../methods/resolved-config.js';
import { isT5Folder } from '../models/t5/forward-file.js';
import { parseByteSize } from '../util/byte-size.js';
import { withGlueSplits } from './glue-splits.js';
import { applyOverrides } from './overrides.js';
import { readYamlFile } from './yaml-file.js';

export type { MergeConfig };

/** A task of a merge or eval config: its data, and for a T5 model's text task how it is posed. */
export const taskSchema = z.looseObject({
  /** A dataset folder or file (see data/). */
  data: z.string(),
  split: z.string().default('test'),
  // Text tasks of a T5 model (models/t5/task-spec.ts).
  template: z.string().optional(),
  labels: z.array(z.string()).nonempty().optional(),
  label_column: z.string().optional(),
  mode: z.enum(['generate', 'score']).optional(),
});

const schema = z.strictObject({
  /** The folder relative paths resolve against (itself relative to the config's folder); default: that folder. */
  root: z.string().optional(),
  method: z.string(),
  parameters: z.record(z.string(), z.unknown()).default({}),
  models: z.strictObject({
    pretrained: z.string(),
    experts: z
      .record(z.string(), z.string())
      .refine((e) => Object.keys(e).length > 0, 'expected at least one expert'),
  }),
  /**
   * Per task: its data; needed by test-time methods and by evaluation. Extra keys are kept for them (a T5
   * model's text tasks: template, labels, label_column, mode). A GLUE task of a T5 model reads GLUE's
   * labelled split when none is named.
   */
  tasks: z.record(z.string(), taskSchema).optional(),
  /** Tasks evaluated but not merged (their data and heads only; no expert): generalization to unseen tasks. */
  unseen_tasks: z.array(z.string()).optional(),
  heads: z.string().optional(),
  output: z.string(),
  seed: z.number().int().default(42),
  /** dtype of the merged floating-point tensors. */
  dtype: z.enum(OUTPUT_DTYPES).default('f32'),
  /** Shard the output past this size: bytes or "5GB"-style. */
  max_shard_size: z
    .union([z.number(), z.string()])
    .default('5GB')
    .refine(
      (v) => parseByteSize(v) !== undefined,
      'expected a positive size such as 5GB, 500MB or a byte count',
    ),
});

const PATH_KEYS = [
  /^root$/,
  /^output$/,
  /^heads$/,
  /^models\.pretrained$/,
  /^models\.experts\.[^.]+$/,
  /^tasks\.[^.]+\.data$/,
];

/** A path key's string value is resolved, except the built-in suite's `suite:<task>` data. */
const isMergePath = (key: string, value: string) =>
  PATH_KEYS.some((pattern) => pattern.test(key)) && !value.startsWith('suite:');

export interface ParseConfigOptions {
  /** Where relative paths point from (default: the current folder). */
  readonly baseDir?: string;
  /** The file name used in errors. */
  readonly source?: string;
  /** `key=value` overrides (as given to --set). */
  readonly overrides?: readonly string[];
}

/** Validates an already parsed YAML document (or an object built in code) into a resolved MergeConfig. */
export function parseMergeConfig(raw: unknown, options: ParseConfigOptions = {}): MergeConfig {
  const where = options.source ?? 'merge config';
  const doc = structuredClone(raw ?? {}) as Record<string, unknown>;
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new WemoeError(`${where}: expected a YAML mapping`);
  applyOverrides(doc, options.overrides ?? [], { where, isPath: isMergePath });
  // `parameters:` left empty (YAML null), as for a method without parameters, means none.
  if (doc.parameters === null) delete doc.parameters;
  const result = schema.safeParse(doc);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    throw new WemoeError(`${where}: ${key}: ${issueMessage(issue)}`);
  }
  const config = result.data;
  if (!methodNames().includes(config.method)) {
    throw new WemoeError(
      `${where}: method: unknown merge method '${config.method}'; known methods: ${methodNames().join(', ')}`,
    );
  }
  checkUnseenTasks(config, where);
  const parameters = parseMethodParams(getMethod(config.method), config.parameters, where) as Record<
    string,
    unknown
  >;
  const resolved = resolvePaths(
    { ...config, parameters, source: options.source },
    options.baseDir ?? process.cwd(),
  );
  if (!resolved.tasks || !isT5Folder(resolved.models.pretrained)) return resolved;
  return { ...resolved, tasks: withGlueSplits(resolved.tasks, doc.tasks) };
}

/** Each unseen task has its data under `tasks` and no expert (it must not enter the merge). */
export function checkUnseenTasks(
  config: { unseen_tasks?: string[]; tasks?: Record<string, unknown>; models?: { experts: object } },
  where: string,
): void {
  for (const task of config.unseen_tasks ?? []) {
    if (config.tasks?.[task] === undefined)
      throw new WemoeError(`${where}: unseen_tasks: ${task} has no entry under tasks (its data are needed)`);
    if (config.models && task in config.models.experts)
      throw new WemoeError(
        `${where}: unseen_tasks: ${task} has an expert under models.experts; an unseen task is not merged`,
      );
  }
}

function resolvePaths({ root, ...config }: MergeConfig & { root?: string }, baseDir: string): MergeConfig {
  const base = root === undefined ? baseDir : resolve(baseDir, root);
  const at = (p: string) => resolve(base, p);
  // `suite:<task>` names the built-in suite's data, not a path.
  const dataAt = (p: string) => (p.startsWith('suite:') ? p : at(p));
  return {
    ...config,
    models: {
      pretrained: at(config.models.pretrained),
      experts: Object.fromEntries(Object.entries(config.models.experts).map(([task, p]) => [task, at(p)])),
    },
    tasks:
      config.tasks &&
      Object.fromEntries(
        Object.entries(config.tasks).map(([task, t]) => [task, { ...t, data: dataAt(t.data) }]),
      ),
    heads: config.heads === undefined ? undefined : at(config.heads),
    output: at(config.output),
  };
}

/** Reads, overrides, validates and resolves a merge config file. */
export function loadMergeConfig(path: string, overrides: readonly string[] = []): MergeConfig {
  const raw = readYamlFile(path, 'merge config');
  return parseMergeConfig(raw, { source: path, baseDir: dirname(resolve(path)), overrides });
}
