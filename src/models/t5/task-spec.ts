/**
 * A text task as a config names it (eval configs, and merge configs for the test-time methods): its rows
 * (JSONL, TSV or a parquet split) and how they are posed — a GLUE task's built-in template and label words
 * (the task's name), or the task's own `template` and `labels`.
 */
import { readParquetTextRows } from '../../data/parquet/text-parquet.js';
import { readTextRows, type TextRow } from '../../data/text-rows.js';
import { WemoeError } from '../../errors.js';
import { glueTask, type TextTask } from './glue.js';

/** A task of a config on a T5 model (its `data` an absolute path). */
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

/** The rows of a task: a `.jsonl` / `.tsv` file, or the parquet split (the task's own by default). */
export function readTaskRows(spec: TextTaskSpec, task: TextTask): Promise<TextRow[]> | TextRow[] {
  if (spec.data.endsWith('.jsonl') || spec.data.endsWith('.tsv')) return readTextRows(spec.data);
  return readParquetTextRows(spec.data, spec.split ?? task.split);
}
