import type { StepRecord } from './checkpoint.js';

/**
 * Whether the loss has stopped improving: the mean loss of the last `patience` steps is not below the best
 * mean of any earlier window of `patience` steps by more than `minDelta`. Derived from the loss curve
 * alone, so a resumed run decides exactly as an uninterrupted one.
 */
export function plateaued(curve: readonly StepRecord[], patience: number, minDelta: number): boolean {
  if (patience < 1 || curve.length < 2 * patience) return false;
  const windowMean = (end: number) => {
    let s = 0;
    for (let i = end - patience; i < end; i++) s += curve[i].loss;
    return s / patience;
  };
  let best = Number.POSITIVE_INFINITY;
  for (let end = patience; end <= curve.length - patience; end++) best = Math.min(best, windowMean(end));
  return windowMean(curve.length) > best - minDelta;
}
