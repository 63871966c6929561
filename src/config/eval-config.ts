/**
 * The YAML config of `wemoe eval`:
 *   model: path/to/model          # a CLIP vision or WEMoE folder, or a T5 folder (config.json model_type t5)
 *   heads: path/to/heads.safetensors   # CLIP only
 *   tasks: {mnist: {data: suite:mnist, split: test}, ...}
 *   # T5: text rows (.jsonl/.tsv); a GLUE task's name brings its template and labels, else give your own:
 *   #   tasks: {cola: {data: cola.tsv}, mine: {data: m.jsonl, template: "Is {text} ok?", labels: [no, yes]}}
 *   batch_size: 128               # optional
 *   limit: 500                    # optional: the first N samples of each task
 *   output: path/to/reports       # optional: report.json, report.md, report.html
 *   root: path/to/data            # optional: what relative paths resolve against (default: the file's folder)
 * A merge config (it has `method`) is accepted too: its `output` folder is the model evaluated, with its
 * heads and tasks. `--set key=value` overrides and path resolution work as for merge configs.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { WemoeError } from '../errors.js';
import type { EvalConfig } from '../eval/run-eval.js';
import { issueMessage } from '../methods/registry.js';
import { isT5Folder } from '../models/t5/forward-file.js';
import { withGlueSplits } from './glue-splits.js';
import { checkUnseenTasks, parseMergeConfig, taskSchema } from './merge-config.js';
import { applyOverrides } from './overrides.js';
import { readYamlFile } from './yaml-file.js';

export type { EvalConfig };

const evalKeys = {
  batch_size: z.number().int().positive().default(128),
  limit: z.number().int().positive().optional(),
};

/** Tasks the model was not merged on: the report gives seen and unseen averages. */
const unseenKey = { unseen_tasks: z.array(z.string()).optional() };

const schema = z.strictObject({
  /** The folder relative paths resolve against (as in merge configs). */
  root: z.string().optional(),
  model: z.string(),
  heads: z.string().optional(),
  tasks: z
    .record(z.string(), taskSchema)
    .refine((t) => Object.keys(t).length > 0, 'expected at least one task'),
  output: z.string().optional(),
  ...evalKeys,
  ...unseenKey,
});

const PATH_KEYS = [/^root$/, /^model$/, /^heads$/, /^output$/, /^tasks\.[^.]+\.data$/, /^models\..+$/];

const isEvalPath = (key: string, value: string) =>
  PATH_KEYS.some((pattern) => pattern.test(key)) && !value.startsWith('suite:');

function fromMergeConfig(doc: Record<string, unknown>, where: string, baseDir: string): EvalConfig {
  const { batch_size, limit, ...mergeDoc } = doc;
  const extra = z.strictObject(evalKeys).safeParse({ batch_size, limit });
  if (!extra.success) throw zodError(where, extra.error.issues[0]);
  const merge = parseMergeConfig(mergeDoc, { source: where, baseDir });
  if (!merge.heads && !isT5Folder(merge.output))
    throw new WemoeError(`${where}: heads: evaluation needs the tasks' heads`);
  if (!merge.tasks || Object.keys(merge.tasks).length === 0)
    throw new WemoeError(`${where}: tasks: evaluation needs at least one task with its data`);
  return {
    model: merge.output,
    heads: merge.heads,
    tasks: merge.tasks,
    unseen_tasks: merge.unseen_tasks,
    method: merge.method,
    source: where,
    ...extra.data,
  };
}

function zodError(where: string, issue: z.core.$ZodIssue): WemoeError {
  const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return new WemoeError(`${where}: ${key}: ${issueMessage(issue)}`);
}

/** Validates a parsed YAML document (overrides applied first) into an EvalConfig with absolute paths. */
export function parseEvalConfig(
  raw: unknown,
  options: { baseDir?: string; source?: string; overrides?: readonly string[] } = {},
): EvalConfig {
  const where = options.source ?? 'eval config';
  const baseDir = options.baseDir ?? process.cwd();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new WemoeError(`${where}: expected a YAML mapping`);
  const doc = structuredClone(raw) as Record<string, unknown>;
  applyOverrides(doc, options.overrides ?? [], { where, isPath: isEvalPath });
  if ('method' in doc) return fromMergeConfig(doc, where, baseDir);
  const result = schema.safeParse(doc);
  if (!result.success) throw zodError(where, result.error.issues[0]);
  const { root, ...c } = result.data;
  checkUnseenTasks(c, where);
  const base = root === undefined ? baseDir : resolve(baseDir, root);
  const at = (p: string) => resolve(base, p);
  const model = at(c.model);
  const t5 = isT5Folder(model);
  if (c.heads === undefined && !t5)
    throw new WemoeError(`${where}: heads: a CLIP model needs the tasks' heads file`);
  const tasks = t5 ? withGlueSplits(c.tasks, doc.tasks) : c.tasks;
  return {
    ...c,
    model,
    heads: c.heads === undefined ? undefined : at(c.heads),
    tasks: Object.fromEntries(
      Object.entries(tasks).map(([t, s]) => [t, { ...s, data: dataPath(s.data, at) }]),
    ),
    output: c.output === undefined ? undefined : at(c.output),
    source: options.source,
  };
}

/** `suite:<task>` names the built-in suite, not a path. */
function dataPath(data: string, at: (p: string) => string): string {
  return data.startsWith('suite:') ? data : at(data);
}

/** Reads, overrides, validates and resolves an eval (or merge) config file. */
export function loadEvalConfig(path: string, overrides: readonly string[] = []): EvalConfig {
  const raw = readYamlFile(path, 'eval config');
  return parseEvalConfig(raw, { source: path, baseDir: dirname(resolve(path)), overrides });
}
