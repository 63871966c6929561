import { describe, expect, it } from 'vitest';
import {
  batchAccuracy,
  meanCrossEntropy,
  meanPredictionEntropy,
  TaskMetrics,
} from '../../src/eval/metrics.js';

// Row 0: logits [0, ln 3] → softmax [1/4, 3/4], predicts 1.  Row 1: [1, 1, ...] uniform → predicts 0.
const LN3 = Math.log(3);
const logits = new Float32Array([0, LN3, 2, 2]);
const labels = new Int32Array([1, 1]);
const rowEntropy0 = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));

describe('batch metrics', () => {
  it('computes top-1 accuracy with the first index winning ties', () => {
    expect(batchAccuracy(logits, labels, 2, 2)).toBe(0.5);
    expect(batchAccuracy(new Float32Array([5, 5, 1]), new Int32Array([0]), 1, 3)).toBe(1);
  });

  it('computes the mean cross-entropy in nats', () => {
    // (−ln 3/4 − ln 1/2) / 2
    expect(meanCrossEntropy(logits, labels, 2, 2)).toBeCloseTo((Math.log(4 / 3) + Math.log(2)) / 2, 6);
  });

  it('computes the mean prediction entropy in nats', () => {
    expect(meanPredictionEntropy(logits, 2, 2)).toBeCloseTo((rowEntropy0 + Math.log(2)) / 2, 6);
    expect(meanPredictionEntropy(new Float32Array([7, 7, 7]), 1, 3)).toBeCloseTo(LN3, 6);
  });

  it('stays finite for large logits (max-shifted log-sum-exp)', () => {
    const big = new Float32Array([1000, 0]);
    expect(meanCrossEntropy(big, new Int32Array([1]), 1, 2)).toBeCloseTo(1000, 3);
    expect(meanCrossEntropy(big, new Int32Array([0]), 1, 2)).toBeCloseTo(0, 6);
    expect(meanPredictionEntropy(big, 1, 2)).toBeCloseTo(0, 6);
  });

  it('rejects inconsistent sizes, labels out of range and non-finite logits', () => {
    expect(() => batchAccuracy(logits, labels, 2, 3)).toThrow(
      /logits has 4 values, expected batch·classes = 2·3 = 6/,
    );
    expect(() => batchAccuracy(logits, new Int32Array([1]), 2, 2)).toThrow(
      /labels has 1 values, expected batch = 2/,
    );
    expect(() => meanCrossEntropy(logits, new Int32Array([0, 2]), 2, 2)).toThrow(
      /labels\[1\] = 2, expected .*\[0, 2\)/,
    );
    expect(() => meanPredictionEntropy(new Float32Array([0, Number.NaN]), 1, 2)).toThrow(
      /logits\[0, 1\] is NaN/,
    );
  });
});

describe('TaskMetrics', () => {
  it('averages over samples, not over batches', () => {
    const metrics = new TaskMetrics();
    metrics.add(logits, labels, 2, 2);
    // A third sample: [0, 0] labelled 0 → correct (first index), loss ln 2, entropy ln 2.
    metrics.add(new Float32Array([0, 0]), new Int32Array([0]), 1, 2);
    const result = metrics.result();
    expect(result.count).toBe(3);
    expect(result.accuracy).toBeCloseTo(2 / 3, 12);
    expect(result.loss).toBeCloseTo((Math.log(4 / 3) + 2 * Math.log(2)) / 3, 6);
    expect(result.entropy).toBeCloseTo((rowEntropy0 + 2 * Math.log(2)) / 3, 6);
  });

  it('refuses a change of class count and an empty result', () => {
    const metrics = new TaskMetrics();
    expect(() => metrics.result()).toThrow(/no samples were added/);
    metrics.add(logits, labels, 2, 2);
    expect(() => metrics.add(new Float32Array(3), new Int32Array([0]), 1, 3)).toThrow(
      /classes = 3 differs from the 2/,
    );
  });
});
