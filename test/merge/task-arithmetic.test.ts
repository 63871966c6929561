import { describe, expect, it } from 'vitest';
import { simpleAverageMethod } from '../../src/merge/simple-average.js';
import { taskArithmeticMethod } from '../../src/merge/task-arithmetic.js';
import { maxAbsDifference, mergeInMemory, mulberry32, type StateDict, vectors } from './memory.js';

const pretrained = vectors({ w: [1, 2, 3], b: [0.5] });
const experts = {
  one: vectors({ w: [2, 2, 5], b: [1.5] }),
  two: vectors({ w: [1, 6, 1], b: [-0.5] }),
};

describe('simple_average', () => {
  it('averages the experts, ignoring the pretrained model', () => {
    expect(mergeInMemory(simpleAverageMethod, {}, pretrained, experts)).toEqual({ w: [1.5, 4, 3], b: [0.5] });
  });
  it('rejects parameters it does not know', () => {
    expect(() => simpleAverageMethod.params.parse({ scaling_factor: 1 })).toThrow();
  });
  it('names the expert holding NaN/Inf; sums in float64, so large weights do not overflow', () => {
    const bad = { ...experts, two: vectors({ w: [1, Number.NaN, 1], b: [0] }) };
    expect(() => mergeInMemory(simpleAverageMethod, {}, pretrained, bad)).toThrow(
      "merge: tensor 'w': non-finite values in expert 'two' (1 of 3); expected finite weights",
    );
    const big = vectors({ w: [3e38, 3e38, -3e38], b: [3e38] });
    const out = mergeInMemory(simpleAverageMethod, {}, pretrained, { one: big, two: big });
    expect(out.w).toEqual([3e38, 3e38, -3e38].map(Math.fround));
  });
});

describe('task_arithmetic', () => {
  it('adds λ·Σ task vectors (default λ = 0.3)', () => {
    // τ_one = [1, 0, 2 | 1], τ_two = [0, 4, −2 | −1]; Σ = [1, 4, 0 | 0].
    expect(mergeInMemory(taskArithmeticMethod, { scaling_factor: 0.5 }, pretrained, experts)).toEqual({
      w: [1.5, 4, 3],
      b: [0.5],
    });
    const out = mergeInMemory(taskArithmeticMethod, {}, pretrained, experts);
    expect(out.w).toEqual([1.3, 3.2, 3].map(Math.fround));
  });

  it('with λ = 1/T equals simple_average', () => {
    const random = mulberry32(1);
    const dict = (): StateDict => ({
      x: { shape: [4, 5], values: Array.from({ length: 20 }, random) },
      y: { shape: [3], values: Array.from({ length: 3 }, random) },
    });
    const pre = dict();
    const five = Object.fromEntries([0, 1, 2, 3, 4].map((t) => [`t${t}`, dict()]));
    const ta = mergeInMemory(taskArithmeticMethod, { scaling_factor: 1 / 5 }, pre, five);
    const avg = mergeInMemory(simpleAverageMethod, {}, pre, five);
    for (const name of ['x', 'y']) expect(maxAbsDifference(ta[name], avg[name])).toBeLessThan(1e-6);
  });
});
