import { describe, expect, it } from 'vitest';
import { taskArithmeticMethod } from '../../src/merge/task-arithmetic.js';
import { tiesMethod, trimRank } from '../../src/merge/ties.js';
import { maxAbsDifference, mergeInMemory, mulberry32, type StateDict, vectors } from './memory.js';

const zeros = (shapes: Record<string, number>) =>
  vectors(Object.fromEntries(Object.entries(shapes).map(([name, n]) => [name, new Array(n).fill(0)])));

describe('trimRank (FusionBench: d − ⌊d·k/100⌋, clamped to ≥ 1)', () => {
  it('gives the 1-based rank of the threshold', () => {
    expect(trimRank(5, 40)).toBe(3);
    expect(trimRank(10, 20)).toBe(8);
    expect(trimRank(7, 20)).toBe(6); // ⌊1.4⌋ = 1 kept
    expect(trimRank(5, 100)).toBe(1); // clamped: keeps everything
    expect(trimRank(5, 0)).toBe(5); // only the largest magnitude survives
  });
});

describe('ties (global trim over all parameters)', () => {
  // d = 5 over two tensors; k = 40 keeps ⌊2⌋ → threshold = 3rd smallest |τ| = 2 for both tasks.
  const pretrained = vectors({ a: [10, 20, 30], b: [40, 50] });
  const expert = (a: number[], b: number[]) =>
    vectors({ a: a.map((v, i) => v + [10, 20, 30][i]), b: b.map((v, i) => v + [40, 50][i]) });
  const experts = {
    one: expert([1, -2, 3], [-4, 0.5]), // trimmed: a [0, −2, 3], b [−4, 0]
    two: expert([-1, 2, 0.25], [4, -3]), // trimmed: a [0, 2, 0], b [4, −3]
  };

  it('trims globally, leaves zero signs 0 when the votes cancel (keeping negative values, as FusionBench) and sums', () => {
    // Summed: a [0, 0, 3], b [0, −3] → votes 0 → the majority sign(0) = 0 stays, and sign 0 keeps τ < 0:
    // a[1] keeps −2 (task one), b[0] keeps −4 (task one); merged a [0, −2, 3], b [−4, −3]; λ = 0.5.
    const out = mergeInMemory(tiesMethod, { threshold: 40, scaling_factor: 0.5 }, pretrained, experts);
    expect(out.a).toEqual([10, 19, 31.5]);
    expect(out.b).toEqual([38, 48.5]);
    // max: sign 0 gives |τ|max · 0 = 0 (a[1], b[0] stay θ0); mean: the mean of the negative values.
    const max = mergeInMemory(
      tiesMethod,
      { threshold: 40, scaling_factor: 1, merge_func: 'max' },
      pretrained,
      experts,
    );
    expect(max.a).toEqual([10, 20, 33]);
    expect(max.b).toEqual([40, 47]);
    const mean = mergeInMemory(
      tiesMethod,
      { threshold: 40, scaling_factor: 1, merge_func: 'mean' },
      pretrained,
      experts,
    );
    expect(mean.a).toEqual([10, 18, 33]);
    expect(mean.b).toEqual([36, 47]);
  });

  it('differs from the per-tensor trim', () => {
    // Per tensor: a (d = 3, keep ⌊1.2⌋ = 1, rank 2): task one keeps |τ| ≥ 2 → [0, −2, 3]; task two
    // keeps ≥ 1 → [−1, 2, 0]; sums [−1, 0, 3], votes 0 → sign 0: a[1] keeps −2 → merged [−1, −2, 3].
    // b (d = 2, keep 0, rank 2): the largest only: one [−4, 0], two [4, 0]; sums [0, 0], votes 0 → sign 0:
    // b[0] keeps −4 → merged [−4, 0].
    const out = mergeInMemory(
      tiesMethod,
      { threshold: 40, scaling_factor: 1, trim_scope: 'per_tensor' },
      pretrained,
      experts,
    );
    expect(out.a).toEqual([9, 18, 33]);
    expect(out.b).toEqual([36, 50]);
  });

  it('breaks zero signs with a negative majority when the vote is negative', () => {
    // k = 100 keeps everything. Sums [0, −2, −2] → votes −2 → majority −1: entry 0 keeps task two's −2.
    const out = mergeInMemory(tiesMethod, { threshold: 100, scaling_factor: 1 }, zeros({ w: 3 }), {
      one: vectors({ w: [2, -1, -1] }),
      two: vectors({ w: [-2, -1, -1] }),
    });
    expect(out.w).toEqual([-2, -2, -2]);
  });

  it('keeps every magnitude equal to the k-th value (ties at the boundary keep keep + 1 entries)', () => {
    // d = 6, k = 50 → keep 3, threshold = 3rd smallest |τ| = 2 (it occurs three times): keeps 2, −2, 2, 3.
    const out = mergeInMemory(tiesMethod, { threshold: 50, scaling_factor: 1 }, zeros({ w: 6 }), {
      only: vectors({ w: [1, 2, -2, 2, 3, -1.5] }),
    });
    expect(out.w).toEqual([0, 2, -2, 2, 3, 0]);
  });

  it('merges kept entries by sum, mean or max', () => {
    const experts3 = {
      one: vectors({ w: [1, -2, 3, 0] }),
      two: vectors({ w: [2, -1, -1, 0] }),
      three: vectors({ w: [3, 1, -1, 0] }),
    };
    // Sums [6, −2, 1, 0] → signs [+, −, +, majority +]; the last entry has nothing to keep.
    const run = (merge_func: string) =>
      mergeInMemory(tiesMethod, { threshold: 100, scaling_factor: 1, merge_func }, zeros({ w: 4 }), experts3)
        .w;
    expect(run('sum')).toEqual([6, -3, 3, 0]);
    expect(run('mean')).toEqual([2, -1.5, 3, 0]);
    expect(run('max')).toEqual([3, -2, 3, 0]);
  });

  it('equals task arithmetic with k = 100, merge_func sum and no sign conflicts', () => {
    const random = mulberry32(7);
    const sizes = { x: 50, y: 13, z: 1 };
    const pre = randomDict(sizes, () => random());
    const signs = randomDict(sizes, () => (random() >= 0 ? 1 : -1));
    const experts: Record<string, StateDict> = {};
    for (const task of ['a', 'b', 'c']) {
      experts[task] = randomDict(
        sizes,
        (name, i) => pre[name].values[i] + signs[name].values[i] * (Math.abs(random()) + 0.01),
      );
    }
    const params = { scaling_factor: 0.3 };
    const ties = mergeInMemory(tiesMethod, { ...params, threshold: 100, merge_func: 'sum' }, pre, experts);
    const ta = mergeInMemory(taskArithmeticMethod, params, pre, experts);
    for (const name of Object.keys(sizes)) {
      expect(maxAbsDifference(ties[name], ta[name])).toBeLessThan(1e-6);
    }
  });
});

function randomDict(sizes: Record<string, number>, value: (name: string, i: number) => number): StateDict {
  return Object.fromEntries(
    Object.entries(sizes).map(([name, n]) => [
      name,
      { shape: [n], values: Array.from({ length: n }, (_, i) => value(name, i)) },
    ]),
  );
}
