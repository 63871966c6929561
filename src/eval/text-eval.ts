/**
 * `wemoe eval` on a T5 folder (plain or WEMoE): each config task is a file of text rows (JSONL or TSV) or
 * a parquet dataset's split, posed through a GLUE task's built-in template and label words (the task's
 * name) or the task's own `template` and `labels`, evaluated by greedy generation (or exact label
 * scoring). The metric (accuracy, or Spearman's ρ for a task without labels such as STS-B) fills the
 * score's accuracy field, and the report names each task's metric; text tasks measure no loss (0).
 */

import { tokenTask } from '../adapt/t5.js';
import type { TextRow } from '../data/text-rows.js';
import { loadT5 } from '../models/t5/checkpoint.js';
import { formatPrompt, type TextTask } from '../models/t5/glue.js';
import { T5Runner } from '../models/t5/runner.js';
import { readTaskRows, type TextTaskSpec, textTaskOf } from '../models/t5/task-spec.js';
import { isT5WemoeFolder, loadT5Wemoe } from '../models/t5/wemoe-checkpoint.js';
import { T5Tokenizer } from '../models/tokenizers/t5.js';
import { createProgress, type ProgressMode } from '../util/progress.js';
import type { ModelInfo, TaskMetric, TaskScore } from './report-types.js';
import { type T5Routing, t5Routing } from './t5-routing.js';
import { evaluateTextTask } from './text-task.js';

/** A config's text task ready to score: its spec, how it is posed, its rows. */
export interface PosedTextTask {
  readonly name: string;
  readonly spec: TextTaskSpec;
  readonly task: TextTask;
  readonly rows: readonly TextRow[];
}

/** The scores of one model on text tasks, for a report. */
export interface TextScores {
  readonly perTask: Record<string, TaskScore>;
  readonly metrics: Record<string, TaskMetric>;
  /** Spearman tasks whose answers (or labels) were all equal: ρ undefined (scipy's NaN), scored 0. */
  readonly undefinedRho: readonly string[];
}

export interface TextEvalOutcome extends TextScores {
  readonly info: ModelInfo;
  /** A WEMoE model's mean routing weights per task, encoder and decoder (the paper's routing analysis). */
  readonly routing?: T5Routing;
  readonly loadSeconds: number;
  readonly runSeconds: number;
}

/** Reads each task's rows (the first `limit`), posed by its template or GLUE task; `where` names the config. */
export async function readTextTasks(
  tasks: Readonly<Record<string, TextTaskSpec>>,
  options: { readonly limit?: number; readonly where: string },
): Promise<PosedTextTask[]> {
  const posed = [];
  for (const [name, spec] of Object.entries(tasks)) {
    const task = textTaskOf(name, spec, options.where);
    const rows = await readTaskRows(spec, task);
    posed.push({ name, spec, task, rows: options.limit === undefined ? rows : rows.slice(0, options.limit) });
  }
  return posed;
}

export interface ScoreTextOptions {
  readonly batchSize: number;
  /** Batches done of all tasks' (default 'auto': a bar on a terminal, lines otherwise). */
  readonly progress?: ProgressMode;
  /** Progress label, e.g. "eval ties". */
  readonly label?: string;
  readonly log?: (line: string) => void;
}

/** Scores a model (a runner over a folder or a model in memory) on posed text tasks. */
export async function scoreTextTasks(
  runner: T5Runner,
  tokenizer: T5Tokenizer,
  tasks: readonly PosedTextTask[],
  options: ScoreTextOptions,
): Promise<TextScores> {
  const perTask: Record<string, TaskScore> = {};
  const metrics: Record<string, TaskMetric> = {};
  const undefinedRho: string[] = [];
  const total = tasks.reduce((sum, t) => sum + Math.ceil(t.rows.length / options.batchSize), 0);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const progress = createProgress(options.progress ?? 'auto', options.label ?? 'eval', total, log, 'batches');
  let done = 0;
  try {
    for (const { name, spec, task, rows } of tasks) {
      const result = await evaluateTextTask(runner, tokenizer, task, rows, {
        mode: spec.mode,
        labelColumn: spec.label_column,
        batchSize: options.batchSize,
        onBatch: () => progress.update(++done, name),
      });
      if (Number.isNaN(result.value)) undefinedRho.push(name);
      // A report holds finite numbers: an undefined ρ counts as no correlation.
      perTask[name] = { accuracy: Number.isNaN(result.value) ? 0 : result.value, loss: 0 };
      metrics[name] = result.metric;
    }
  } finally {
    progress.stop();
  }
  return { perTask, metrics, undefinedRho };
}

/** Each posed task's prompts, tokenized: the unlabeled inputs a routing analysis runs. */
async function promptTokens(tokenizer: T5Tokenizer, tasks: readonly PosedTextTask[], padId: number) {
  const tokenized = [];
  for (const { name, task, rows } of tasks)
    tokenized.push(
      tokenTask(name, await tokenizer.encode(rows.map((row) => formatPrompt(task.template, row))), padId),
    );
  return tokenized;
}

/**
 * Loads the folder `model` (plain or WEMoE T5, with its tokenizer.json) and scores it on `tasks`; a WEMoE
 * model's routing weights are averaged over each task's prompts too.
 */
export async function evaluateTextTasks(
  model: string,
  tasks: Readonly<Record<string, TextTaskSpec>>,
  options: Omit<ScoreTextOptions, 'label'> & {
    readonly limit?: number;
    readonly threads?: number;
    readonly where: string;
  },
): Promise<TextEvalOutcome> {
  const began = performance.now();
  const posed = await readTextTasks(tasks, options);
  const wemoe = isT5WemoeFolder(model) ? loadT5Wemoe(model) : undefined;
  const runner = T5Runner.create(wemoe ?? loadT5(model), { threads: options.threads });
  try {
    const tokenizer = T5Tokenizer.load(model, { padTokenId: runner.config.padTokenId });
    const loadSeconds = (performance.now() - began) / 1000;
    const scores = await scoreTextTasks(runner, tokenizer, posed, { ...options, label: 'eval' });
    const routing =
      wemoe &&
      (await t5Routing(wemoe, await promptTokens(tokenizer, posed, runner.config.padTokenId), {
        batchSize: options.batchSize,
        threads: options.threads,
      }));
    return {
      ...scores,
      routing,
      info: { trainable_params: runner.paramCounts.trainable, all_params: runner.paramCounts.all },
      loadSeconds,
      runSeconds: (performance.now() - began) / 1000 - loadSeconds,
    };
  } finally {
    await runner.dispose();
  }
}
