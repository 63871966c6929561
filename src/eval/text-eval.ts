/**
 * `wemoe eval` on a T5 folder: each config task is a file of text rows (JSONL or TSV) or a parquet
 * dataset's split, posed through a GLUE task's built-in template and label words (the task's name) or the task's own `template` and
 * `labels`, evaluated by greedy generation (or exact label scoring). The metric (accuracy, or Spearman's ρ
 * for a task without labels such as STS-B) fills the report's accuracy column; text tasks measure no loss,
 * so it reads 0.
 */
import { readParquetTextRows } from '../data/parquet/text-parquet.js';
import { readTextRows, type TextRow } from '../data/text-rows.js';
import { WemoeError } from '../errors.js';
import { glueTask, type TextTask } from '../models/t5/glue.js';
import { t5ParamCount } from '../models/t5/params.js';
import { T5Runner } from '../models/t5/runner.js';
import { T5Tokenizer } from '../models/tokenizers/t5.js';
import type { ModelInfo, TaskScore } from './report-types.js';
import { evaluateTextTask } from './text-task.js';

/** A task of an eval config on a T5 model (its `data` an absolute path). */
export interface TextTaskSpec {
  /** A `.jsonl` or `.tsv` file, or a parquet dataset (a file or a folder of a split's shards). */
  readonly data: string;
  /** The parquet dataset's split. */
  readonly split?: string;
  /** Own prompt with `{column}` placeholders; without it the task's name must be a GLUE task. */
  readonly template?: string;
  /** Answer word of each class index; absent: the label is a score and the metric Spearman's ρ. */
  readonly labels?: readonly string[];
  /** The column holding the label (default `label`). */
  readonly label_column?: string;
  /** 'generate' (default, FusionBench's) or 'score' (exact label scoring, classification only). */
  readonly mode?: 'generate' | 'score';
}

export interface TextEvalOutcome {
  readonly perTask: Record<string, TaskScore>;
  readonly metrics: Record<string, 'accuracy' | 'spearman'>;
  readonly info: ModelInfo;
  readonly loadSeconds: number;
  readonly runSeconds: number;
}

/** The text task of a config entry: its own template and labels, or the GLUE task of its name. */
export function textTaskOf(name: string, spec: TextTaskSpec, where: string): TextTask {
  if (spec.template !== undefined)
    return {
      template: spec.template,
      labels: spec.labels,
      split: 'test',
      metric: spec.labels ? 'accuracy' : 'spearman',
    };
  if (spec.labels !== undefined)
    throw new WemoeError(
      `${where}: tasks.${name}.labels: given without a template; expected both or neither`,
    );
  try {
    return glueTask(name);
  } catch (error) {
    if (!(error instanceof WemoeError)) throw error;
    throw new WemoeError(`${where}: tasks.${name}: no template given and ${error.message}`);
  }
}

function readRows(spec: TextTaskSpec, task: TextTask): Promise<TextRow[]> | TextRow[] {
  if (spec.data.endsWith('.jsonl') || spec.data.endsWith('.tsv')) return readTextRows(spec.data);
  return readParquetTextRows(spec.data, spec.split ?? task.split);
}

export async function evaluateTextTasks(
  model: string,
  tasks: Readonly<Record<string, TextTaskSpec>>,
  options: {
    readonly batchSize: number;
    readonly limit?: number;
    readonly threads?: number;
    readonly where: string;
  },
): Promise<TextEvalOutcome> {
  const began = performance.now();
  const posed = [];
  for (const [name, spec] of Object.entries(tasks)) {
    const task = textTaskOf(name, spec, options.where);
    const rows = await readRows(spec, task);
    posed.push({ name, spec, task, rows: options.limit === undefined ? rows : rows.slice(0, options.limit) });
  }
  const runner = T5Runner.load(model, { threads: options.threads });
  try {
    const tokenizer = T5Tokenizer.load(model, { padTokenId: runner.config.padTokenId });
    const loadSeconds = (performance.now() - began) / 1000;
    const perTask: Record<string, TaskScore> = {};
    const metrics: Record<string, 'accuracy' | 'spearman'> = {};
    for (const { name, spec, task, rows } of posed) {
      const result = await evaluateTextTask(runner, tokenizer, task, rows, {
        mode: spec.mode,
        labelColumn: spec.label_column,
        batchSize: options.batchSize,
      });
      perTask[name] = { accuracy: result.value, loss: 0 };
      metrics[name] = result.metric;
    }
    return {
      perTask,
      metrics,
      info: { trainable_params: 0, all_params: t5ParamCount(runner.config) },
      loadSeconds,
      runSeconds: (performance.now() - began) / 1000 - loadSeconds,
    };
  } finally {
    await runner.dispose();
  }
}
