/**
 * Evaluation of a T5 model on a text-to-text task: prompts from the rows through the task's template,
 * answers by greedy generation (compared as text with the label words, FusionBench's measure) or by the
 * exact label scoring; accuracy, or Spearman's ρ of the generated scores (STS-B).
 */
import type { TextRow } from '../data/text-rows.js';
import { WemoeError } from '../errors.js';
import {
  formatPrompt,
  GLUE_MAX_NEW_TOKENS,
  parseScore,
  type TextTask,
  targetText,
} from '../models/t5/glue.js';
import type { T5Runner } from '../models/t5/runner.js';
import { classifyByScoring, generateAnswers } from '../models/t5/text-to-text.js';
import type { T5Tokenizer } from '../models/tokenizers/t5.js';
import { spearman } from './spearman.js';

export interface TextEvalOptions {
  /** 'generate' (default, FusionBench's) or 'score' (classification tasks only). */
  readonly mode?: 'generate' | 'score';
  /** The column holding the label (default `label`). */
  readonly labelColumn?: string;
  readonly batchSize?: number;
  /** Called after each batch (progress). */
  readonly onBatch?: () => void;
}

export interface TextEvalResult {
  readonly metric: 'accuracy' | 'spearman';
  readonly value: number;
  /** Per row: the generated answer, or the best-scoring label word. */
  readonly answers: readonly string[];
}

function labelOf(row: TextRow, column: string, index: number): number {
  const value = row[column];
  if (typeof value !== 'number') throw new WemoeError(`row ${index}: column ${column} is not a number`);
  return value;
}

export async function evaluateTextTask(
  runner: T5Runner,
  tokenizer: T5Tokenizer,
  task: TextTask,
  rows: readonly TextRow[],
  { mode = 'generate', labelColumn = 'label', batchSize = 32, onBatch }: TextEvalOptions = {},
): Promise<TextEvalResult> {
  if (mode === 'score' && !task.labels)
    throw new WemoeError('evaluate: label scoring needs a task with label words');
  const labels = rows.map((row, i) => labelOf(row, labelColumn, i));
  const prompts = rows.map((row) => formatPrompt(task.template, row));
  const answers: string[] = [];
  for (let start = 0; start < prompts.length; start += batchSize) {
    const batch = prompts.slice(start, start + batchSize);
    if (mode === 'score') {
      const picked = await classifyByScoring(runner, tokenizer, batch, task.labels!);
      answers.push(...picked.map((l) => task.labels![l]));
    } else {
      answers.push(
        ...(await generateAnswers(runner, tokenizer, batch, { maxNewTokens: GLUE_MAX_NEW_TOKENS })),
      );
    }
    onBatch?.();
  }
  // The label as the model would say it: its word (or score with one decimal), tokenized and decoded back,
  // as FusionBench compares.
  const words = await tokenizer.decode(await tokenizer.encode(labels.map((l) => targetText(task, l))));
  if (task.metric === 'spearman')
    return { metric: 'spearman', value: spearman(answers.map(parseScore), words.map(parseScore)), answers };
  const correct = answers.filter((a, i) => a === words[i]).length;
  return { metric: 'accuracy', value: correct / rows.length, answers };
}
