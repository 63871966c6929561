/**
 * The text suite's eight tasks as training examples: rows read from `<dir>/<task>/<split>.jsonl` (GLUE
 * column names, `label` a class index or, for STS-B, a score), posed through a template, tokenized.
 */
import { join } from 'node:path';
import { readTextRows, type TextRow } from '../../src/data/text-rows.js';
import { formatPrompt, glueTask, targetText } from '../../src/models/t5/glue.js';
import type { T5Tokenizer } from '../../src/models/tokenizers/t5.js';

/** The suite's tasks, in the GLUE benchmark's order. */
export const TEXT_TASKS = ['cola', 'sst2', 'mrpc', 'qqp', 'qnli', 'mnli', 'rte', 'stsb'] as const;
export type TextTaskName = (typeof TEXT_TASKS)[number];

/** One text-to-text example as token ids (`</s>` last in both). */
export interface TokenExample {
  readonly source: readonly number[];
  readonly target: readonly number[];
}

export function taskFile(dataDir: string, task: string, split: 'train' | 'test'): string {
  return join(dataDir, task, `${split}.jsonl`);
}

export function readTaskRows(dataDir: string, task: string, split: 'train' | 'test'): TextRow[] {
  return readTextRows(taskFile(dataDir, task, split));
}

/** `rows` posed through `template`, answered with the task's label words (or score text), tokenized. */
export async function tokenExamples(
  tokenizer: T5Tokenizer,
  task: string,
  rows: readonly TextRow[],
  template: string,
): Promise<TokenExample[]> {
  const glue = glueTask(task);
  const sources = await tokenizer.encode(rows.map((row) => formatPrompt(template, row)));
  const targets = await tokenizer.encode(rows.map((row) => targetText(glue, Number(row.label))));
  return sources.map((source, i) => ({ source, target: targets[i] }));
}
