/**
 * The entry kernel of Ties (trim, elect sign, disjoint merge), shared by every path: the per-tensor trim,
 * the global merge pass and the finalize of its recorded entries. Bit-identical to the scalar definition
 * (per entry: τt = float32(arrays[t] − base), kept when |τt| ≥ threshold, sums in float64 in task order).
 *
 * A block of entries at a time: the sums (and, for mean and max, the per-sign counts or maxima) come
 * from the WebAssembly SIMD step (ties-simd.ts), four tasks per call; the elected sign then picks its
 * merged value by the sign bit of the total, as an index, so that only zero signs and undecided entries
 * branch.
 */
import type { MergeFunc } from '../ties.js';
import {
  addTasks,
  clearBlock,
  resolveBlock,
  SIMD_BLOCK,
  SIMD_TASKS,
  startBlock,
  type TiesBlock,
  tiesBlockFor,
} from './ties-simd.js';

/** Entries per block. */
export const BLOCK = SIMD_BLOCK;
/** Indices in the block of the entries `resolveBlock` left to `settle`. */
const specialEntries = new Int32Array(BLOCK);

/** The task vectors of one tensor as τt = float32(arrays[t] − base): experts and θ0, or DARE's τ and zeros. */
export interface TaskDeltas {
  readonly base: Float32Array;
  readonly arrays: readonly Float32Array[];
}

/**
 * Per task, |τ| with a bit pattern below lowBits[t] is trimmed, from highBits[t] up kept, in between
 * undecided (not known yet). Exact thresholds have lowBits = highBits.
 */
export interface TrimBits {
  readonly lowBits: Int32Array;
  readonly highBits: Int32Array;
}

/**
 * What to do with an entry whose kept values sum to 0 (a zero sign): merge with the sign given, or,
 * with 'record', write θ0 + λ·merged when both signs give the same float32 and record the entry otherwise.
 */
export type TieRule = 1 | -1 | 'record';

export interface EntryMerge {
  readonly scaling_factor: number;
  readonly merge_func: MergeFunc;
  readonly tie: TieRule;
}

/** The bounds of exact thresholds (float32 magnitudes): kept when |τt| ≥ thresholds[t]. */
export function exactTrimBits(thresholds: ArrayLike<number>): TrimBits {
  const bits = new Int32Array(Float32Array.from(thresholds, Math.abs).buffer);
  return { lowBits: bits, highBits: bits };
}

const scratch = new Float32Array(1);
const scratchBits = new Int32Array(scratch.buffer);

/**
 * out[i] = θ0 + λ·merged for every entry that is decided; θ0 and a call of `record(i)` for the others
 * (undecided, or a zero sign whose result hangs on the sign under the 'record' rule). Returns
 * Σ sign(Σt kept τt) over the decided entries.
 */
export function mergeEntries(
  pretrained: Float32Array,
  deltas: TaskDeltas,
  trim: TrimBits,
  options: EntryMerge,
  out: Float32Array,
  record: (index: number) => void = noRecord,
): number {
  const block = tiesBlockFor([pretrained, deltas.base, ...deltas.arrays]);
  let votes = 0;
  for (let start = 0; start < out.length; start += BLOCK) {
    const n = Math.min(BLOCK, out.length - start);
    accumulate(block, deltas, trim, start, n, options.merge_func !== 'sum');
    if (options.merge_func === 'mean') meanParts(block, n);
    else if (options.merge_func === 'max') maxParts(block, n);
    votes += resolve(block, pretrained, out, start, n, options, record);
  }
  return votes;
}

/** Σ over entries of sign(Σt kept τt) under exact thresholds: the majority vote of Ties. */
export function entryVotes(deltas: TaskDeltas, trim: TrimBits): number {
  const length = deltas.base.length;
  const block = tiesBlockFor([deltas.base, ...deltas.arrays]);
  const { total } = block;
  let votes = 0;
  for (let start = 0; start < length; start += BLOCK) {
    const n = Math.min(BLOCK, length - start);
    accumulate(block, deltas, trim, start, n, false);
    for (let j = 0; j < n; j++) votes += Math.sign(total[j]);
  }
  return votes;
}

/** Fills total, parts and undecided (and the stats) for entries [start, start + n), four tasks at a time. */
function accumulate(
  block: TiesBlock,
  { base, arrays }: TaskDeltas,
  trim: TrimBits,
  start: number,
  n: number,
  stats: boolean,
) {
  startBlock(block, base, start, n);
  if (arrays.length === 0) clearBlock(block, n, stats);
  for (let t = 0; t < arrays.length; t += SIMD_TASKS) {
    const count = Math.min(SIMD_TASKS, arrays.length - t);
    addTasks(block, arrays, trim.lowBits, trim.highBits, t, count, start, n, stats);
  }
}

/** mean: each sign's sum over the count of its nonzero kept values (at least 1). */
function meanParts({ parts, positiveCount, negativeCount }: TiesBlock, n: number): void {
  for (let j = 0; j < n; j++) {
    parts[j] /= Math.max(positiveCount[j], 1);
    parts[BLOCK + j] /= Math.max(negativeCount[j], 1);
  }
}

/** max: the largest kept magnitude of each sign, with its sign (−0 where none is negative). */
function maxParts({ parts, positiveMax, negativeMax }: TiesBlock, n: number): void {
  for (let j = 0; j < n; j++) {
    scratchBits[0] = positiveMax[j];
    parts[j] = scratch[0];
    scratchBits[0] = negativeMax[j];
    parts[BLOCK + j] = -scratch[0];
  }
}

/** θ0 + λ·(the merged value of the elected sign) per entry; zero signs and undecided entries settled apart. */
function resolve(
  block: TiesBlock,
  pretrained: Float32Array,
  out: Float32Array,
  start: number,
  n: number,
  { scaling_factor: lambda, tie }: EntryMerge,
  record: (index: number) => void,
): number {
  const votes = resolveBlock(block, pretrained, start, n, lambda);
  const { out: merged, special } = block;
  out.set(merged.subarray(0, n), start);
  if (block.specials[0] === 0) return votes;
  let count = 0;
  for (let j = 0; j < n; j++) {
    specialEntries[count] = j; // kept only where special (−1): the list grows without a branch
    count -= special[j];
  }
  for (let k = 0; k < count; k++) {
    const j = specialEntries[k];
    settle(block, pretrained, out, start + j, j, lambda, tie, record);
  }
  return votes;
}

/** An undecided entry (recorded) or a zero sign (the `tie` sign, or recorded if the sign matters). */
function settle(
  { parts, undecided }: TiesBlock,
  pretrained: Float32Array,
  out: Float32Array,
  i: number,
  j: number,
  lambda: number,
  tie: TieRule,
  record: (index: number) => void,
): void {
  const theta = pretrained[i];
  if (tie !== 'record' && undecided[j] === 0) {
    out[i] = theta + lambda * parts[tie > 0 ? j : BLOCK + j];
    return;
  }
  if (undecided[j] === 0) {
    out[i] = theta + lambda * parts[j];
    if (Object.is(out[i], Math.fround(theta + lambda * parts[BLOCK + j]))) return;
  }
  out[i] = theta;
  record(i);
}

function noRecord(index: number): void {
  throw new RangeError(`ties: entry ${index} is undecided but no record was asked for`);
}
