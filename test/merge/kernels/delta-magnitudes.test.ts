import { describe, expect, it } from 'vitest';
import { countDeltaFine, countDeltaMagnitudes } from '../../../src/merge/kernels/delta-magnitudes.js';
import { kthSmallestMagnitude, MagnitudeSelector } from '../../../src/merge/magnitude-select.js';
import { mulberry32 } from '../memory.js';

describe('counting passes over τ = float32(array − base)', () => {
  it('select the same k-th magnitude as selection over the materialized τ, across blocks', () => {
    const random = mulberry32(3);
    const n = 5 * 4096 + 17; // past MIN_COUNTED: the WebAssembly counting, and a scalar tail
    const base = Float32Array.from({ length: n }, () => random());
    const arrays = [0, 1, 2].map(() => Float32Array.from(base, (b) => b + Math.round(random() * 64) / 256));
    for (const kth of [1, 5000, n]) {
      const selectors = arrays.map(() => new MagnitudeSelector(kth));
      expect(countDeltaMagnitudes({ base, arrays }, selectors)).toBe(-1);
      for (const s of selectors) s.endCoarse();
      countDeltaFine({ base, arrays }, selectors);
      arrays.forEach((array, t) => {
        const tau = Float32Array.from(array, (v, i) => v - base[i]);
        expect(selectors[t].endFine()).toBe(kthSmallestMagnitude(tau, kth));
      });
    }
  });

  it('report the first task whose τ holds NaN or ±Inf, including a difference that overflows', () => {
    const base = Float32Array.from([0, -3e38, 1]);
    const arrays = [
      Float32Array.from([1, -3e38, 2]),
      Float32Array.from([1, 3e38, 2]),
      Float32Array.from([Number.NaN, 0, 0]),
    ];
    const selectors = arrays.map(() => new MagnitudeSelector(1));
    expect(countDeltaMagnitudes({ base, arrays }, selectors)).toBe(1);
    expect(countDeltaMagnitudes({ base, arrays: [arrays[2]] }, [selectors[2]])).toBe(0);
  });
});
