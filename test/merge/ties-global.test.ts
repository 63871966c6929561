import { describe, expect, it } from 'vitest';
import { kthSmallestMagnitude, MagnitudeSelector } from '../../src/merge/magnitude-select.js';
import { tiesMethod, trimRank } from '../../src/merge/ties.js';
import { GlobalTrimPlanner } from '../../src/merge/ties-global.js';
import { mergeInMemory, mulberry32, type StateDict } from './memory.js';

/** Brute force: the k-th smallest |x| by sorting a copy. */
function sortedKth(values: number[], kth: number): number {
  return values.map(Math.abs).sort((a, b) => a - b)[kth - 1];
}

/** Random float32 values; `coarse` rounds to multiples of 1/8 so magnitudes repeat and zeros are common. */
function randomValues(n: number, random: () => number, coarse: boolean): number[] {
  return Array.from({ length: n }, () => {
    const v = random() * (random() > 0 ? 4 : 1e-3);
    return Math.fround(coarse ? Math.round(v * 8) / 8 : v);
  });
}

describe('MagnitudeSelector (two-pass radix selection)', () => {
  it('finds the exact k-th smallest magnitude, equal to sorting, for every rank', () => {
    const random = mulberry32(3);
    for (const coarse of [false, true]) {
      const values = randomValues(300, random, coarse);
      const array = Float32Array.from(values);
      for (const kth of [1, 2, 150, 299, 300]) {
        expect(kthSmallestMagnitude(array, kth)).toBe(sortedKth(values, kth));
      }
    }
  });

  it('streams chunks in any order and treats −0 as 0', () => {
    const values = [-0, 3, -1e-30, 2.5, -2.5, 7, 1e-45, -0.5];
    const selector = new MagnitudeSelector(5);
    const chunks = [values.slice(5), values.slice(0, 2), values.slice(2, 5)].map((c) => Float32Array.from(c));
    for (const c of chunks) selector.countCoarse(c);
    selector.endCoarse();
    for (const c of [...chunks].reverse()) selector.countFine(c);
    expect(selector.endFine()).toBe(2.5);
    expect(selector.sawNonFinite()).toBe(false);
  });

  it('reports non-finite values and rejects ranks outside the data', () => {
    const selector = new MagnitudeSelector(3);
    selector.countCoarse(Float32Array.from([1, Number.NaN]));
    expect(selector.sawNonFinite()).toBe(true);
    expect(() => selector.endCoarse()).toThrow(/rank 3 is outside 1..2/);
  });
});

/** Ties exactly as method.md states it, on the flattened concatenation (sorted key order). */
function referenceTies(
  pre: StateDict,
  experts: StateDict[],
  k: number,
  lambda: number,
): Record<string, number[]> {
  const names = Object.keys(pre).sort();
  const flat = (d: StateDict) => names.flatMap((n) => d[n].values);
  const p = flat(pre);
  const taus = experts.map((e) => flat(e).map((v, i) => Math.fround(v - p[i])));
  const kth = trimRank(p.length, k);
  const trimmed = taus.map((tau) => {
    const threshold = sortedKth(tau, kth);
    return tau.map((v) => (Math.abs(v) >= threshold ? v : 0));
  });
  const sums = p.map((_, i) => trimmed.reduce((s, tau) => s + tau[i], 0));
  const votes = sums.reduce((s, v) => s + Math.sign(v), 0);
  const majority = votes < 0 ? -1 : 1;
  const merged = sums.map((sum, i) => {
    const sign = sum === 0 ? majority : Math.sign(sum);
    return trimmed.reduce((s, tau) => s + (Math.sign(tau[i]) === sign ? tau[i] : 0), 0);
  });
  const out: Record<string, number[]> = {};
  let offset = 0;
  for (const name of names) {
    const n = pre[name].values.length;
    out[name] = p.slice(offset, offset + n).map((v, i) => Math.fround(v + lambda * merged[offset + i]));
    offset += n;
  }
  return out;
}

describe('ties global trim: streaming result equals the flattened reference', () => {
  for (const coarse of [false, true]) {
    it(`on ${coarse ? 'coarse values (repeated magnitudes, zeros)' : 'continuous values'}`, () => {
      const random = mulberry32(coarse ? 11 : 12);
      const sizes = { 'b.weight': 40, 'a.bias': 7, 'c.weight': 64 };
      const dict = () =>
        Object.fromEntries(
          Object.entries(sizes).map(([name, n]) => [
            name,
            { shape: [n], values: randomValues(n, random, coarse) },
          ]),
        );
      const pre = dict();
      const experts = [dict(), dict(), dict(), dict()];
      for (const k of [0, 20, 37.5, 100]) {
        const out = mergeInMemory(
          tiesMethod,
          { threshold: k, scaling_factor: 0.3 },
          pre,
          Object.fromEntries(experts.map((e, t) => [`task${t}`, e])),
        );
        expect(out).toEqual(referenceTies(pre, experts, k, 0.3));
      }
    });
  }
});

describe('GlobalTrimPlanner', () => {
  it('gives the exact thresholds and majority from the records and from the fine pass alike', () => {
    const random = mulberry32(5);
    // Shifted down so that the vote is negative and the majority is −1.
    const shifted = (n: number) => Float32Array.from(randomValues(n, random, true), (v) => v - 0.25);
    const tensors = [30, 1, 59].map((n) => [0, 1, 2].map(() => shifted(n)));
    const d = 90;
    const params = { scaling_factor: 1, merge_func: 'sum' as const };
    const run = (maxBoundary: number, recordsPerChunk?: number) => {
      const planner = new GlobalTrimPlanner(3, trimRank(d, 30), maxBoundary, recordsPerChunk);
      let pass = 0;
      for (; planner.wantsPass(pass); pass++) {
        for (const taus of tensors) {
          const deltas = { base: new Float32Array(taus[0].length), arrays: taus };
          if (pass === 0) planner.countMagnitudes(deltas);
          else planner.countFine(deltas);
        }
        planner.endPass(pass);
      }
      const recorded = planner.recordsBoundary;
      const zeros = (n: number) => new Float32Array(n);
      const outs = tensors.map((taus) =>
        planner
          .mergeProvisional(zeros(taus[0].length), { base: zeros(taus[0].length), arrays: taus }, params)
          .slice(),
      );
      planner.finishMerge();
      for (const out of outs) planner.finalize(out, params);
      planner.dispose();
      return { passes: pass, recorded, thresholds: planner.thresholds, majority: planner.majority, outs };
    };
    const recorded = run(d * 3);
    const spilled = run(d * 3, 2);
    const finePass = run(0);
    expect([recorded.passes, recorded.recorded]).toEqual([1, true]);
    expect([finePass.passes, finePass.recorded]).toEqual([2, false]);
    expect(finePass.thresholds).toEqual(recorded.thresholds);
    expect(finePass.majority).toBe(recorded.majority);
    expect(spilled.outs).toEqual(recorded.outs);
    expect(finePass.outs).toEqual(recorded.outs);
    for (let t = 0; t < 3; t++) {
      const all = tensors.flatMap((taus) => Array.from(taus[t]));
      expect(recorded.thresholds[t]).toBe(sortedKth(all, trimRank(d, 30)));
    }
    let votes = 0;
    for (const taus of tensors) {
      for (let i = 0; i < taus[0].length; i++) {
        votes += Math.sign(
          taus.reduce((s, tau, t) => s + (Math.abs(tau[i]) >= recorded.thresholds[t] ? tau[i] : 0), 0),
        );
      }
    }
    expect(votes).toBeLessThan(0);
    expect(recorded.majority).toBe(-1);
  });

  it('reports the first task whose vector is not finite', () => {
    const planner = new GlobalTrimPlanner(2, 1, 10);
    const deltas = (arrays: Float32Array[]) => ({ base: new Float32Array(arrays[0].length), arrays });
    expect(planner.countMagnitudes(deltas([Float32Array.from([1, 2]), Float32Array.from([1, 2])]))).toBe(-1);
    expect(planner.countMagnitudes(deltas([Float32Array.from([1]), Float32Array.from([Number.NaN])]))).toBe(
      1,
    );
  });
});
