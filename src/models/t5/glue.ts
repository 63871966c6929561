/**
 * GLUE as text-to-text tasks for Flan-T5, as FusionBench's Flan-T5 GLUE task pool poses them: one prompt
 * template per task with `{field}` placeholders over the dataset's columns, the label words the fine-tuned
 * experts were trained to answer, the evaluation split, and the metric (exact match of the generated
 * text; Spearman correlation of the generated number for STS-B). The templates are FusionBench's own
 * text, typos ("Answere") included: the experts were fine-tuned on exactly these prompts.
 */
import { WemoeError } from '../../errors.js';

export type GlueMetric = 'accuracy' | 'spearman';

export interface TextTask {
  /** The prompt, `{column}` placeholders filled from a row. */
  readonly template: string;
  /** Answer text of each class index (classification); absent for regression (STS-B). */
  readonly labels?: readonly string[];
  /** Split evaluated by default (GLUE's test labels are hidden). */
  readonly split: string;
  readonly metric: GlueMetric;
}

export const GLUE_TASKS: Readonly<Record<string, TextTask>> = {
  cola: {
    template:
      "Indicate if the following sentence is grammatically correct or not: \"{sentence}\". Answere 'acceptable' or 'unacceptable'.",
    labels: ['unacceptable', 'acceptable'],
    split: 'validation',
    metric: 'accuracy',
  },
  mnli: {
    template:
      "Does the premise: '{premise}' logically imply, contradict, or is neutral to the hypothesis: '{hypothesis}'? Answere with 'entailment', 'contradiction', or 'neutral'.",
    labels: ['entailment', 'neutral', 'contradiction'],
    split: 'validation_matched',
    metric: 'accuracy',
  },
  mrpc: {
    template:
      "Are the following sentences '{sentence1}' and '{sentence2}' conveying the same meaning? Answere with 'yes' or 'no'.",
    labels: ['no', 'yes'],
    split: 'validation',
    metric: 'accuracy',
  },
  qnli: {
    template:
      "Given the context: '{sentence}', does the question '{question}' have an answer based on the information provided? Answer with 'yes' or 'no'.",
    labels: ['yes', 'no'],
    split: 'validation',
    metric: 'accuracy',
  },
  qqp: {
    template:
      "Do the questions '{question1}' and '{question2}' have the same intent? Answere with 'yes' or 'no'.",
    labels: ['no', 'yes'],
    split: 'validation',
    metric: 'accuracy',
  },
  rte: {
    template: "Does the text: '{sentence1}' entail that '{sentence2}' is true? Provide 'yes' or 'no'.",
    labels: ['yes', 'no'],
    split: 'validation',
    metric: 'accuracy',
  },
  sst2: {
    template: "Given the sentence '{sentence}', determine the sentiment. Is it positive or negative?",
    labels: ['negative', 'positive'],
    split: 'validation',
    metric: 'accuracy',
  },
  stsb: {
    template:
      "Consider the sentences '{sentence1}' and '{sentence2}'. On a scale from 1 (completely different) to 5 (completely similar), rate the similarity.",
    split: 'validation',
    metric: 'spearman',
  },
};

/** The most new tokens FusionBench generates (`generate(max_length=10)` counts the start token). */
export const GLUE_MAX_NEW_TOKENS = 9;

/** The built-in task of a name, or a WemoeError listing them. */
export function glueTask(name: string): TextTask {
  const task = Object.hasOwn(GLUE_TASKS, name) ? GLUE_TASKS[name] : undefined;
  if (!task) throw new WemoeError(`GLUE task ${name}: expected one of ${Object.keys(GLUE_TASKS).join(', ')}`);
  return task;
}

/** The template with each `{field}` replaced by the row's value (Python's str.format on named fields). */
export function formatPrompt(template: string, row: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{(\w*)\}/g, (_, field: string) => {
    const value = row[field];
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new WemoeError(`template field {${field}}: the row has no text or number column ${field}`);
    return String(value);
  });
}

/** The target text of a label: the class's answer word, or the score with one decimal (STS-B). */
export function targetText(task: TextTask, label: number): string {
  if (!task.labels) return label.toFixed(1);
  const text = task.labels[label];
  if (text === undefined)
    throw new WemoeError(`label ${label}: expected a class index below ${task.labels.length}`);
  return text;
}

/** STS-B's reading of a generated answer: the number, or 0 when it is none (as FusionBench does). */
export function parseScore(text: string): number {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : 0;
}

/** A plain decimal number such as Python's float() reads (no hex, no digit separators). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
