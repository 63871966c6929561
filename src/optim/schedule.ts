/** Learning-rate schedules: a function from the step index (0-based) to the learning rate. */
import { WemoeError } from '../errors.js';

export interface CosineOptions {
  /** Peak learning rate. */
  readonly lr: number;
  /** Total steps; the rate reaches `minLr` at step `steps`. */
  readonly steps: number;
  /** Linear warm-up from lr/warmup to lr over the first `warmup` steps; default 0. */
  readonly warmup?: number;
  readonly minLr?: number;
}

/** Cosine decay from lr to minLr after an optional linear warm-up (as transformers' cosine schedule). */
export function cosineSchedule(options: CosineOptions): (step: number) => number {
  const { lr, steps, warmup = 0, minLr = 0 } = options;
  if (!(steps > 0) || warmup < 0 || warmup > steps) {
    throw new WemoeError(
      `cosineSchedule: need steps > 0 and 0 ≤ warmup ≤ steps, got steps ${steps}, warmup ${warmup}`,
    );
  }
  return (step) => {
    if (step < warmup) return (lr * (step + 1)) / warmup;
    const progress = Math.min(1, (step - warmup) / Math.max(1, steps - warmup));
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}

/** A constant rate. */
export function constantSchedule(lr: number): (step: number) => number {
  return () => lr;
}
