/** Spearman's rank correlation (ties get their average rank, as scipy.stats.spearmanr): STS-B's metric. */
import { WemoeError } from '../errors.js';

/** 1-based ranks; equal values share the mean of the ranks they span. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const mean = (v: readonly number[]) => v.reduce((s, a) => s + a, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  // A constant side has no ranking: NaN, as scipy returns.
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's ρ of paired values: the Pearson correlation of their average ranks. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length || x.length < 2)
    throw new WemoeError(`spearman: expected two lists of equal length ≥ 2, got ${x.length} and ${y.length}`);
  return pearson(averageRanks(x), averageRanks(y));
}
