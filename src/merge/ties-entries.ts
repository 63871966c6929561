/**
 * Ties' maths per entry, in plain typed-array loops: τt = float32(θt − θ0); τt is kept where
 * |τt| ≥ thresholds[t]; the kept values are summed in float64 in task order and the sum's sign is
 * elected, or `tie` where the sum is exactly 0; the disjoint merge takes the kept values of the elected
 * sign (for sign 0, the negative ones, as FusionBench and the Ties authors' code select them) and sums
 * them, averages them, or takes the largest magnitude (times the sign, so 0 for sign 0).
 *
 * The task vectors of a tensor are made a block of entries at a time, interleaved (entry j of task t at
 * j · T + t), so the loops read one small array that stays in cache.
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

/** Entries per block: T · BLOCK float32 stay in a core's cache. */
const BLOCK = 2048;

/** Hands out the task vectors of a tensor a block at a time, in one reused buffer. */
export class TaskVectorBlocks {
  private taus = new Float32Array(0);
  /** The bit patterns of the block handed to `visit` (the same memory). */
  bits = new Uint32Array(0);

  /** Calls `visit` per block with τ interleaved (entry j of task t at j · T + t), entries [start, start + n). */
  forEach(deltas: TaskDeltas, visit: (taus: Float32Array, start: number, n: number) => void): void {
    const { base, arrays } = deltas;
    const tasks = arrays.length;
    if (this.taus.length < tasks * BLOCK) {
      this.taus = new Float32Array(tasks * BLOCK);
      this.bits = new Uint32Array(this.taus.buffer);
    }
    const taus = this.taus;
    for (let start = 0; start < base.length; start += BLOCK) {
      const n = Math.min(BLOCK, base.length - start);
      for (let t = 0; t < tasks; t++) {
        const array = arrays[t];
        for (let j = 0; j < n; j++) taus[j * tasks + t] = array[start + j] - base[start + j];
      }
      visit(taus, start, n);
    }
  }
}

/** Σ over n entries of sign(Σt kept τt): Ties' majority vote. */
export function tiesVotes(taus: Float32Array, n: number, thresholds: Float64Array): number {
  const tasks = thresholds.length;
  let votes = 0;
  for (let j = 0, k = 0; j < n; j++) {
    let total = 0;
    for (let t = 0; t < tasks; t++, k++) {
      const v = taus[k];
      if (Math.abs(v) >= thresholds[t]) total += v;
    }
    votes += total > 0 ? 1 : total < 0 ? -1 : 0;
  }
  return votes;
}

/** out[start + j] = θ0 + λ·merged for the n entries of a block. */
export function tiesMergeBlock(
  pretrained: Float32Array,
  taus: Float32Array,
  start: number,
  n: number,
  thresholds: Float64Array,
  options: TiesEntryOptions,
  out: Float32Array,
): void {
  const tasks = thresholds.length;
  const { scaling_factor: lambda, merge_func: func, tie } = options;
  for (let j = 0, k = 0; j < n; j++) {
    let total = 0;
    let positive = 0;
    let negative = 0;
    let positiveCount = 0;
    let negativeCount = 0;
    let positiveMax = 0;
    let negativeMax = 0;
    for (let t = 0; t < tasks; t++, k++) {
      const v = taus[k];
      if (Math.abs(v) < thresholds[t]) continue;
      total += v;
      if (v > 0) {
        positive += v;
        positiveCount++;
        if (v > positiveMax) positiveMax = v;
      } else if (v < 0) {
        negative += v;
        negativeCount++;
        if (-v > negativeMax) negativeMax = -v;
      }
    }
    const sign = total > 0 ? 1 : total < 0 ? -1 : tie;
    let merged: number;
    if (func === 'sum') merged = sign > 0 ? positive : negative;
    else if (func === 'mean')
      merged = sign > 0 ? positive / Math.max(positiveCount, 1) : negative / Math.max(negativeCount, 1);
    else merged = sign > 0 ? positiveMax : sign < 0 ? -negativeMax : 0;
    out[start + j] = pretrained[start + j] + lambda * merged;
  }
}

/** The majority of Σ votes: its sign, 0 when the votes cancel (the tie then stays unresolved). */
export function majoritySign(votes: number): -1 | 0 | 1 {
  return votes > 0 ? 1 : votes < 0 ? -1 : 0;
}
