/**
 * The scalar Ties kernel, the exact reference of the tests: per entry, τt = float32(arrays[t] − base),
 * trimmed where |τt| < thresholds[t], the kept values summed in float64 in task order, the sign elected
 * (where the sum is 0: `majority`, the sign of the total vote, which stays 0 when the votes cancel) and
 * the disjoint merge taken as FusionBench's ties_merging_utils does: sign > 0 keeps the positive values,
 * otherwise the negative ones; `max` takes the largest magnitude times the sign (0 for sign 0).
 */
import type { MergeFunc } from '../../src/merge/ties.js';

export interface ReferenceDeltas {
  readonly base: Float32Array;
  readonly arrays: readonly Float32Array[];
}

/** Σ over entries of sign(Σt kept τt). */
export function referenceVotes({ base, arrays }: ReferenceDeltas, thresholds: readonly number[]): number {
  let votes = 0;
  for (let i = 0; i < base.length; i++) {
    let kept = 0;
    for (let t = 0; t < arrays.length; t++) {
      const v = Math.fround(arrays[t][i] - base[i]);
      if (Math.abs(v) >= thresholds[t]) kept += v;
    }
    votes += kept > 0 ? 1 : kept < 0 ? -1 : 0;
  }
  return votes;
}

/** θ0 + λ·merged per entry; `per_tensor` takes the majority over this tensor's entries. */
export function referenceTiesTensor(
  pretrained: Float32Array,
  deltas: ReferenceDeltas,
  thresholds: readonly number[],
  majority: 1 | 0 | -1 | 'per_tensor',
  { scaling_factor: lambda, merge_func: func }: { scaling_factor: number; merge_func: MergeFunc },
): Float32Array {
  const tieSign = majority === 'per_tensor' ? Math.sign(referenceVotes(deltas, thresholds)) : majority;
  const out = new Float32Array(pretrained.length);
  for (let i = 0; i < out.length; i++) {
    let total = 0;
    let positive = 0;
    let negative = 0;
    let positiveCount = 0;
    let negativeCount = 0;
    let positiveMax = 0;
    let negativeMax = 0;
    for (let t = 0; t < deltas.arrays.length; t++) {
      const v = Math.fround(deltas.arrays[t][i] - deltas.base[i]);
      if (Math.abs(v) < thresholds[t]) continue;
      total += v;
      if (v > 0) {
        positive += v;
        positiveCount++;
        positiveMax = Math.max(positiveMax, v);
      } else if (v < 0) {
        negative += v;
        negativeCount++;
        negativeMax = Math.max(negativeMax, -v);
      }
    }
    const sign = total > 0 ? 1 : total < 0 ? -1 : tieSign;
    const up = sign > 0;
    let merged: number;
    if (func === 'sum') merged = up ? positive : negative;
    else if (func === 'mean')
      merged = up ? positive / Math.max(positiveCount, 1) : negative / Math.max(negativeCount, 1);
    else merged = up ? positiveMax : sign < 0 ? -negativeMax : 0;
    out[i] = pretrained[i] + lambda * merged;
  }
  return out;
}
