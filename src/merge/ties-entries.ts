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

/** θ0 + λ·merged for every entry of a tensor, as a new array. */
export function tiesMerge(
  pretrained: Float32Array,
  deltas: TaskDeltas,
  thresholds: Float64Array,
  options: TiesEntryOptions,
): Float32Array {
  const { base, arrays } = deltas;
  const tasks = arrays.length;
  const { scaling_factor: lambda, merge_func: func, tie } = options;
  const out = new Float32Array(pretrained.length);
  for (let i = 0; i < out.length; i++) {
    const b = base[i];
    let total = 0;
    let positive = 0;
    let negative = 0;
    let positiveCount = 0;
    let negativeCount = 0;
    let positiveMax = 0;
    let negativeMax = 0;
    for (let t = 0; t < tasks; t++) {
      const v = Math.fround(arrays[t][i] - b);
      // A trimmed τt adds +0: the sums start at +0 and never become −0, so that changes none of them.
      const kept = Math.abs(v) >= thresholds[t] ? v : 0;
      total += kept;
      if (kept > 0) {
        positive += kept;
        positiveCount++;
        if (kept > positiveMax) positiveMax = kept;
      } else if (kept < 0) {
        negative += kept;
        negativeCount++;
        if (-kept > negativeMax) negativeMax = -kept;
      }
    }
    const sign = total > 0 ? 1 : total < 0 ? -1 : tie;
    let merged: number;
    if (func === 'sum') merged = sign > 0 ? positive : negative;
    else if (func === 'mean')
      merged = sign > 0 ? positive / Math.max(positiveCount, 1) : negative / Math.max(negativeCount, 1);
    else merged = sign > 0 ? positiveMax : sign < 0 ? -negativeMax : 0;
    out[i] = pretrained[i] + lambda * merged;
  }
  return out;
}

/** The majority of Σ votes: its sign, 0 when the votes cancel (the tie then stays unresolved). */
export function majoritySign(votes: number): -1 | 0 | 1 {
  return votes > 0 ? 1 : votes < 0 ? -1 : 0;
}
