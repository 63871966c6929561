import { describe, expect, it } from 'vitest';
import { averageRanks, spearman } from '../../src/eval/spearman.js';

describe('spearman', () => {
  it('matches scipy.stats.spearmanr', () => {
    // scipy's documented example: spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(spearman([1, 2, 3], [30, 20, 10])).toBeCloseTo(-1, 12);
    expect(spearman([1, 2, 3], [2, 2, 2])).toBeNaN();
  });

  it('gives ties their average rank', () => {
    expect(averageRanks([3.8, 1, 3.8, 0, 5])).toEqual([3.5, 2, 3.5, 1, 5]);
  });

  it('rejects lists of different lengths', () => {
    expect(() => spearman([1, 2], [1])).toThrow(
      'spearman: expected two lists of equal length ≥ 2, got 2 and 1',
    );
  });
});
