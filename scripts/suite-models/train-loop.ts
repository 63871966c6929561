/** The optimisation loop every training stage shares: AdamW, warm-up + cosine, global-norm clipping, progress lines. */
import { Adam } from '../../src/optim/adam.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { cosineSchedule } from '../../src/optim/schedule.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export interface TrainSettings {
  readonly steps: number;
  readonly lr: number;
  readonly warmup: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number;
}

export interface StepResult {
  readonly loss: number;
  /** Correct predictions in the batch (for the progress line). */
  readonly correct: number;
  readonly batchSize: number;
  readonly grads: Record<string, Tensor>;
}

/** Runs `settings.steps` steps of `step` (which computes loss and gradients at the current `params`). */
export async function train(
  label: string,
  params: Record<string, Tensor>,
  settings: TrainSettings,
  step: (index: number) => Promise<StepResult>,
  log: (line: string) => void,
): Promise<{ finalLoss: number; seconds: number }> {
  const optimizer = new Adam(params, { lr: settings.lr, weightDecay: settings.weightDecay });
  const schedule = cosineSchedule({ lr: settings.lr, steps: settings.steps, warmup: settings.warmup });
  const every = Math.max(1, Math.round(settings.steps / 10));
  const began = performance.now();
  let windowLoss = 0;
  let windowCorrect = 0;
  let windowSeen = 0;
  let windowSteps = 0;
  let finalLoss = Number.NaN;
  for (let i = 0; i < settings.steps; i++) {
    const result = await step(i);
    clipGradNorm(result.grads, settings.maxGradNorm);
    optimizer.update(result.grads, schedule(i));
    windowLoss += result.loss;
    windowCorrect += result.correct;
    windowSeen += result.batchSize;
    windowSteps++;
    if ((i + 1) % every === 0 || i + 1 === settings.steps) {
      finalLoss = windowLoss / windowSteps;
      const rate = (i + 1) / ((performance.now() - began) / 1000);
      log(
        `${label}: step ${i + 1}/${settings.steps} loss ${finalLoss.toFixed(4)} batch accuracy ${((100 * windowCorrect) / windowSeen).toFixed(1)}% · ${rate.toFixed(2)} steps/s`,
      );
      windowLoss = windowCorrect = windowSeen = windowSteps = 0;
    }
  }
  return { finalLoss, seconds: (performance.now() - began) / 1000 };
}

/** Number of rows of `logits` [B, K] whose arg-max equals the label. */
export function countCorrect(logits: Tensor, labels: readonly number[]): number {
  const k = logits.shape[1];
  const data = logits.data;
  let correct = 0;
  labels.forEach((label, b) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (data[b * k + j] > data[b * k + best]) best = j;
    if (best === label) correct++;
  });
  return correct;
}
