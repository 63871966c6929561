import { describe, expect, it } from 'vitest';
import { isAllFinite } from '../../src/merge/task-vector.js';

describe('isAllFinite', () => {
  it('finds a NaN or ±Inf at any position, in the four-wide part and in the tail', () => {
    for (let n = 0; n <= 9; n++) {
      const values = Float32Array.from({ length: n }, (_, i) => (i % 2 ? -3.4e38 : 3.4e38));
      expect(isAllFinite(values)).toBe(true);
      for (let at = 0; at < n; at++) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const copy = values.slice();
          copy[at] = bad;
          expect(isAllFinite(copy)).toBe(false);
        }
      }
    }
  });
});
