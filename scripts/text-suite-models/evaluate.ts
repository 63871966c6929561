/**
 * Scores of a model folder on the suite's test splits with wemoe's own text evaluation (`wemoe eval`):
 * label scoring for the classification tasks, greedy generation and Spearman's ρ for STS-B.
 */
import { evaluateTextTasks } from '../../src/eval/text-eval.js';
import type { TextTaskSpec } from '../../src/models/t5/task-spec.js';
import { taskFile } from './tasks.js';

/** Metric per task in [0, 1] (accuracy, or ρ for STS-B). */
export async function evaluateModel(
  modelDir: string,
  dataDir: string,
  tasks: readonly string[],
  options: { batchSize: number; threads: number },
): Promise<Record<string, number>> {
  const specs: Record<string, TextTaskSpec> = {};
  for (const task of tasks)
    specs[task] = { data: taskFile(dataDir, task, 'test'), mode: task === 'stsb' ? 'generate' : 'score' };
  const outcome = await evaluateTextTasks(modelDir, specs, { ...options, where: modelDir });
  // Spearman's ρ of constant answers is undefined (NaN): no rank agreement, counted as 0.
  return Object.fromEntries(tasks.map((t) => [t, outcome.perTask[t].accuracy || 0]));
}
