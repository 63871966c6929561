import { describe, expect, it } from 'vitest';
import { kthSmallestMagnitude, MagnitudeSelector } from '../../src/merge/magnitude-select.js';
import { tiesMethod, trimRank } from '../../src/merge/ties.js';
import { GlobalTrim } from '../../src/merge/ties-global.js';
import { mergeInMemory, mulberry32, type StateDict } from './memory.js';
import { referenceVotes } from './ties-reference.js';

const bitsOf = (values: number[]) => new Uint32Array(Float32Array.from(values).buffer);

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
    const chunks = [values.slice(5), values.slice(0, 2), values.slice(2, 5)].map((c) => bitsOf(c));
    for (const c of chunks) selector.countCoarse(c, c.length);
    selector.endCoarse();
    for (const c of [...chunks].reverse()) selector.countFine(c, c.length);
    expect(selector.endFine()).toEqual([2.5]);
    expect(selector.nonFiniteRow()).toBe(-1);
  });

  it('selects in each row on its own', () => {
    // The 2nd smallest magnitude of [4, −1, 3], [0.5, 8, −2], [7, 7, −7].
    const selector = new MagnitudeSelector(2, 3);
    const rows = [bitsOf([4, -1, 3]), bitsOf([0.5, 8, -2]), bitsOf([7, 7, -7])];
    for (const [r, bits] of rows.entries()) selector.countCoarse(bits, 3, r);
    selector.endCoarse();
    for (const [r, bits] of rows.entries()) selector.countFine(bits, 3, r);
    expect(selector.endFine()).toEqual([3, 2, 7]);
  });

  it('reports the first row holding non-finite values and rejects ranks outside the data', () => {
    const selector = new MagnitudeSelector(3, 2);
    selector.countCoarse(bitsOf([1, 2]), 2, 0);
    selector.countCoarse(bitsOf([Number.NEGATIVE_INFINITY, Number.NaN]), 2, 1);
    expect(selector.nonFiniteRow()).toBe(1);
    expect(() => selector.endCoarse()).toThrow(/rank 3 is outside 1..2/);
  });
});

/** Ties as FusionBench computes it, on the flattened concatenation (sorted key order). */
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
  // FusionBench: zero signs take the majority, which stays 0 when the votes cancel; sign 0 keeps τ < 0.
  const majority = Math.sign(votes);
  const merged = sums.map((sum, i) => {
    const sign = sum === 0 ? majority : Math.sign(sum);
    return trimmed.reduce((s, tau) => s + ((sign > 0 ? tau[i] > 0 : tau[i] < 0) ? tau[i] : 0), 0);
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

describe('GlobalTrim (thresholds and majority in two passes, or three when held entries overflow)', () => {
  it('gives the exact thresholds and majority with entries held, and with pass 2 instead', () => {
    for (const [seed, shift] of [
      [5, -0.25],
      [6, 0.25],
      [7, 0],
    ]) {
      const random = mulberry32(seed);
      // Multiples of 1/4: few magnitudes, so that many entries hold several boundary magnitudes.
      const quarters = (n: number) =>
        Float32Array.from({ length: n }, () => Math.round(random() * 6) / 4 + shift);
      const tensors = [40, 7, 64].map((n) => ({
        base: quarters(n).map((v) => v - shift),
        arrays: [0, 1, 2].map(() => quarters(n)),
      }));
      const flat = (pick: (t: (typeof tensors)[number]) => Float32Array) =>
        Float32Array.from(tensors.flatMap((t) => Array.from(pick(t))));
      const base = flat((t) => t.base);
      const arrays = [0, 1, 2].map((task) => flat((t) => t.arrays[task]));
      const kth = trimRank(base.length, 20);
      const expected = arrays.map((a) =>
        kthSmallestMagnitude(
          Float32Array.from(a, (v, i) => v - base[i]),
          kth,
        ),
      );
      const votes = referenceVotes({ base, arrays }, expected);
      for (const maxHeld of [1 << 20, 0]) {
        const trim = new GlobalTrim(3, kth, maxHeld);
        for (let pass = 0; pass < trim.passes; pass++) for (const t of tensors) trim.observe(pass, t);
        trim.finish();
        expect(trim.passes).toBe(maxHeld === 0 ? 3 : 2);
        expect(Array.from(trim.thresholds)).toEqual(expected);
        expect(trim.majority).toBe(Math.sign(votes));
      }
    }
  });
});

describe('GlobalTrim with a sampled bracket pass (large models)', () => {
  /** The exact thresholds and majority of the flattened tensors, by selection and the scalar votes. */
  function expected(tensors: { base: Float32Array; arrays: Float32Array[] }[], kth: number) {
    const flat = (pick: (t: (typeof tensors)[number]) => Float32Array) =>
      Float32Array.from(tensors.flatMap((t) => Array.from(pick(t))));
    const base = flat((t) => t.base);
    const arrays = tensors[0].arrays.map((_, task) => flat((t) => t.arrays[task]));
    const thresholds = arrays.map((a) =>
      kthSmallestMagnitude(
        Float32Array.from(a, (v, i) => v - base[i]),
        kth,
      ),
    );
    return { thresholds, majority: Math.sign(referenceVotes({ base, arrays }, thresholds)) };
  }

  function run(tensors: { base: Float32Array; arrays: Float32Array[] }[], kth: number, share: number) {
    const trim = new GlobalTrim(tensors[0].arrays.length, kth, 1 << 20, share);
    for (let pass = 0; pass < trim.passes; pass++) for (const t of tensors) trim.observe(pass, t);
    trim.finish();
    return trim;
  }

  it('gives the exact thresholds and majority from a sample, for 1 to 9 tasks', () => {
    const random = mulberry32(21);
    for (const tasks of [1, 3, 4, 5, 8, 9]) {
      // Large enough that the sampling error spans a few buckets: the bracket holds the thresholds.
      const tensors = [150_000, 77, 250_000].map((n) => {
        const base = Float32Array.from({ length: n }, () => random());
        return { base, arrays: Array.from({ length: tasks }, () => base.map((b) => b + random() * 1e-3)) };
      });
      const kth = trimRank(400_077, 20);
      const trim = run(tensors, kth, 2);
      expect(trim.passes).toBe(2);
      const { thresholds, majority } = expected(tensors, kth);
      expect(Array.from(trim.thresholds)).toEqual(thresholds);
      expect(trim.majority).toBe(majority);
    }
  });

  it('falls back to an exact bracket pass when the sample misleads, and stays exact', () => {
    // Sampled runs of 32 (every 2nd) hold τ near 1e-3, the others near 1: the sample's bracket is far too low.
    const random = mulberry32(22);
    const n = 32 * 64;
    const base = Float32Array.from({ length: n }, () => random());
    const tau = (i: number) => (Math.floor(i / 32) % 2 === 0 ? 1e-3 : 1) * (random() + 0.5);
    const tensors = [{ base, arrays: [0, 1, 2].map(() => base.map((b, i) => b + tau(i))) }];
    const kth = trimRank(n, 20);
    const trim = run(tensors, kth, 2);
    expect(trim.passes).toBe(4);
    const { thresholds, majority } = expected(tensors, kth);
    expect(Array.from(trim.thresholds)).toEqual(thresholds);
    expect(trim.majority).toBe(majority);
  });
});
