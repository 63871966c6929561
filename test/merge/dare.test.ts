import { describe, expect, it } from 'vitest';
import { dareMethod, dropAndRescale, mix32 } from '../../src/merge/dare.js';
import { taskArithmeticMethod } from '../../src/merge/task-arithmetic.js';
import { tiesMethod } from '../../src/merge/ties.js';
import { mergeInMemory, vectors } from './memory.js';

const N = 200_000;

describe('dropAndRescale', () => {
  it('drops a fraction p and preserves the expected value (fixed seed)', () => {
    const tau = new Float32Array(N).fill(1);
    dropAndRescale(tau, 0.7, 1 / 0.3, 'seed\u0000w\u0000task');
    let dropped = 0;
    let sum = 0;
    const survivor = Math.fround(1 / 0.3);
    let others = 0;
    for (const v of tau) {
      if (v === 0) dropped++;
      else if (v !== survivor) others++;
      sum += v;
    }
    expect(others).toBe(0);
    // Binomial(N, 0.7): sd of the fraction = √(0.21/N) ≈ 0.001; 5 sd bounds.
    expect(Math.abs(dropped / N - 0.7)).toBeLessThan(0.0052);
    expect(Math.abs(sum / N - 1)).toBeLessThan(0.012);
  });

  it('is deterministic per key and independent across keys', () => {
    const draw = (key: string) => {
      const tau = new Float32Array(N).fill(1);
      dropAndRescale(tau, 0.5, 2, key);
      return tau;
    };
    const [a, again, b] = [draw('a'), draw('a'), draw('b')];
    let bothKept = 0;
    let differences = 0;
    for (let i = 0; i < N; i++) {
      if (a[i] !== 0 && b[i] !== 0) bothKept++;
      if (a[i] !== again[i]) differences++;
    }
    expect(differences).toBe(0);
    expect(Math.abs(bothKept / N - 0.25)).toBeLessThan(0.005); // independent: P = 0.5 · 0.5
  });

  it('keeps everything at p = 0 and mixes bits (bijective avalanche)', () => {
    const tau = Float32Array.from([1, -2, 3]);
    dropAndRescale(tau, 0, 1, 'k');
    expect(Array.from(tau)).toEqual([1, -2, 3]);
    expect(mix32(0)).toBe(0);
    expect(mix32(1)).not.toBe(mix32(2));
  });
});

describe('dare', () => {
  const M = 20_000;
  const pretrained = vectors({ w: new Array(M).fill(1), b: [0, 0] });
  const experts = {
    one: vectors({ w: new Array(M).fill(3), b: [1, 1] }),
    two: vectors({ w: new Array(M).fill(0), b: [-1, 2] }),
  };

  it('equals task arithmetic at p = 0', () => {
    const dare = mergeInMemory(dareMethod, { drop_rate: 0, scaling_factor: 0.3 }, pretrained, experts);
    expect(dare).toEqual(mergeInMemory(taskArithmeticMethod, { scaling_factor: 0.3 }, pretrained, experts));
  });

  it('preserves the merged mean, is seeded, and differs across seeds', () => {
    const run = (seed: number) =>
      mergeInMemory(dareMethod, { drop_rate: 0.5, scaling_factor: 1 }, pretrained, experts, { seed });
    const out = run(42);
    // Expected θ = 1 + (2 − 1) = 2; each entry is 1 + 4·B1 − 2·B2 with Bernoulli(½) B's: sd 2.24/√M.
    const mean = out.w.reduce((s, v) => s + v, 0) / M;
    expect(Math.abs(mean - 2)).toBeLessThan(5 * (2.24 / Math.sqrt(M)));
    expect(new Set(out.w)).toEqual(new Set([1, 5, -1, 3]));
    expect(run(42)).toEqual(out);
    expect(run(43).w).not.toEqual(out.w);
  });

  it('equals ties at p = 0 when merging by ties', () => {
    const params = { threshold: 20, scaling_factor: 0.3 };
    const dare = mergeInMemory(dareMethod, { ...params, drop_rate: 0, merge: 'ties' }, pretrained, experts);
    expect(dare).toEqual(mergeInMemory(tiesMethod, params, pretrained, experts));
  });

  it('rejects p = 1 and unknown keys', () => {
    expect(() => dareMethod.params.parse({ drop_rate: 1 })).toThrow();
    expect(() => dareMethod.params.parse({ drop: 0.1 })).toThrow();
    expect(dareMethod.params.parse({})).toMatchObject({
      drop_rate: 0.5,
      rescale: true,
      merge: 'task_arithmetic',
    });
  });
});
