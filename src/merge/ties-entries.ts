/**
 * Ties' maths per entry, in plain typed-array loops: τt = float32(θt − θ0); τt is kept where
 * |τt| ≥ thresholds[t]; the kept values are summed in float64 in task order and the sum's sign is
 * elected, or `tie` where the sum is exactly 0; the disjoint merge takes the kept values of the elected
 * sign (for sign 0, the negative ones, as FusionBench and the Ties authors' code select them) and sums
 * them, averages them, or takes the largest magnitude (times the sign, so 0 for sign 0).
 * τ is made where it is used, from the models' tensors, never stored.
 */
import type { MergeFunc } from './ties.js';

/** Where τ comes from: τt = float32(arrays[t] − base) (for DARE, base is zeros and arrays its τ). */
export interface TaskDeltas {
  readonly base: Float32Array;
  readonly arrays: readonly Float32Array[];
}

export interface TiesEntryOptions {
  readonly scaling_factor: number;
  readonly merge_func: MergeFunc;
  /** The sign elected where the kept values sum to exactly 0: the majority of the votes, or 0. */
  readonly tie: -1 | 0 | 1;
}

/** Σ over the entries of sign(Σt kept τt): Ties' majority vote. */
export function tiesVotes(deltas: TaskDeltas, thresholds: Float64Array): number {
  const { base, arrays } = deltas;
  const tasks = arrays.length;
  let votes = 0;
  for (let i = 0; i < base.length; i++) {
    const b = base[i];
    let total = 0;
    for (let t = 0; t < tasks; t++) {
      const v = Math.fround(arrays[t][i] - b);
      if (Math.abs(v) >= thresholds[t]) total += v;
    }
    votes += total > 0 ? 1 : total < 0 ? -1 : 0;
  }
  return votes;
}

/** Entries merged at a time: their float64 sums stay in the L1 cache while every task is added. */
const BLOCK = 1024;
/** Tasks added per sweep over a block: each sum is loaded and stored once per four tasks. */
export const GROUP = 4;

/**
 * The task arrays padded to a multiple of GROUP with `base` itself, whose τ is 0 (so a padding task adds
 * +0 to every sum; `base` is finite where this is used: the passes checked τ).
 */
export function padToGroups({ base, arrays }: TaskDeltas): Float32Array[] {
  const pad = (GROUP - (arrays.length % GROUP)) % GROUP;
  return [...arrays, ...new Array<Float32Array>(pad).fill(base)];
}

/** τt where |τt| ≥ threshold, else ±0: a comparison taken as a number, 0 or 1, with no branch. */
const keep = (tau: number, threshold: number) => tau * +(Math.abs(tau) >= threshold);
const positivePart = (kept: number) => kept * +(kept > 0);
const negativePart = (kept: number) => kept * +(kept < 0);

/** Per entry of a block, the float64 sums of the kept τt (all, positive, negative), in task order from +0. */
interface BlockSums {
  readonly total: Float64Array;
  readonly positive: Float64Array;
  readonly negative: Float64Array;
  /** `mean`: how many kept τt are positive, negative; `max`: their largest magnitudes. */
  readonly positiveStat: Float64Array;
  readonly negativeStat: Float64Array;
}

/**
 * θ0 + λ·merged for every entry of a tensor, as a new array. The loops hold no branch on the data (the
 * signs of τ are random, so branches on them mispredict): a trimmed or other-signed τt adds ±0 instead,
 * which changes no sum, as the sums start at +0 and never become −0.
 */
export function tiesMerge(
  pretrained: Float32Array,
  deltas: TaskDeltas,
  thresholds: Float64Array,
  options: TiesEntryOptions,
): Float32Array {
  const { scaling_factor: lambda, merge_func: func, tie } = options;
  const { base } = deltas;
  const arrays = padToGroups(deltas);
  const limits = Array.from(arrays, (_, t) => thresholds[t] ?? 0);
  const sums: BlockSums = {
    total: new Float64Array(BLOCK),
    positive: new Float64Array(BLOCK),
    negative: new Float64Array(BLOCK),
    positiveStat: new Float64Array(BLOCK),
    negativeStat: new Float64Array(BLOCK),
  };
  // Where Σ kept τ is exactly 0, the elected sign is `tie`.
  const tieUp = +(tie > 0);
  const tieDown = +(tie < 0);
  const out = new Float32Array(pretrained.length);
  for (let start = 0; start < out.length; start += BLOCK) {
    const end = Math.min(start + BLOCK, out.length);
    for (const sum of Object.values(sums)) sum.fill(0);
    for (let t = 0; t < arrays.length; t += GROUP)
      addGroup(sums, arrays.slice(t, t + GROUP), base, limits.slice(t, t + GROUP), start, end);
    if (func !== 'sum') addStats(sums, func, deltas, thresholds, start, end);
    const { total, positive, negative, positiveStat, negativeStat } = sums;
    for (let i = start; i < end; i++) {
      const j = i - start;
      const isZero = +(total[j] === 0);
      const up = +(total[j] > 0) + isZero * tieUp;
      const down = +(total[j] < 0) + isZero * tieDown;
      // The sign 0 takes the negative values, as FusionBench does (only `max` tells 0 apart).
      let merged: number;
      if (func === 'sum') merged = up * positive[j] + (1 - up) * negative[j];
      else if (func === 'mean')
        merged =
          up * (positive[j] / Math.max(positiveStat[j], 1)) +
          (1 - up) * (negative[j] / Math.max(negativeStat[j], 1));
      // −negativeMax must stay −0 where it is 0 (θ0 may be −0): a product would give +0.
      else merged = up ? positiveStat[j] : down ? -negativeStat[j] : 0;
      out[i] = pretrained[i] + lambda * merged;
    }
  }
  return out;
}

/** Adds GROUP tasks' kept τ of entries [start, end) to the block's sums, left to right (task order). */
function addGroup(
  sums: BlockSums,
  [a, b, c, d]: Float32Array[],
  base: Float32Array,
  [ha, hb, hc, hd]: number[],
  start: number,
  end: number,
): void {
  const { total, positive, negative } = sums;
  for (let i = start; i < end; i++) {
    const x = base[i];
    const ka = keep(Math.fround(a[i] - x), ha);
    const kb = keep(Math.fround(b[i] - x), hb);
    const kc = keep(Math.fround(c[i] - x), hc);
    const kd = keep(Math.fround(d[i] - x), hd);
    const j = i - start;
    total[j] = total[j] + ka + kb + kc + kd;
    positive[j] = positive[j] + positivePart(ka) + positivePart(kb) + positivePart(kc) + positivePart(kd);
    negative[j] = negative[j] + negativePart(ka) + negativePart(kb) + negativePart(kc) + negativePart(kd);
  }
}

/** `mean`: counts the kept τt of each sign; `max`: their largest magnitudes of each sign. */
function addStats(
  sums: BlockSums,
  func: 'mean' | 'max',
  { base, arrays }: TaskDeltas,
  thresholds: Float64Array,
  start: number,
  end: number,
): void {
  const { positiveStat, negativeStat } = sums;
  arrays.forEach((array, t) => {
    for (let i = start; i < end; i++) {
      const kept = keep(Math.fround(array[i] - base[i]), thresholds[t]);
      const j = i - start;
      if (func === 'mean') {
        positiveStat[j] += +(kept > 0);
        negativeStat[j] += +(kept < 0);
      } else {
        positiveStat[j] = Math.max(positiveStat[j], kept);
        negativeStat[j] = Math.max(negativeStat[j], -kept);
      }
    }
  });
}

/** The majority of Σ votes: its sign, 0 when the votes cancel (the tie then stays unresolved). */
export function majoritySign(votes: number): -1 | 0 | 1 {
  return votes > 0 ? 1 : votes < 0 ? -1 : 0;
}
