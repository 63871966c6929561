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
import { MODES, runSpans, spanTarget, workOutput } from './ties-span.js';

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
  /**
   * Per task, the bucket (high 16 bits of |τ|) whose fine counts the spans that write records keep for
   * those records (boundaryCounts in ties-span.ts); none when absent.
   */
  readonly buckets?: Int32Array;
}

/**
 * What to do with an entry whose kept values sum to 0 (a zero sign): merge with the sign given, or,
 * with 'record', write θ0 + λ·merged when both signs give the same float32 and record the entry otherwise.
 */
export type TieRule = 1 | -1 | 'record';

/** Where mergeEntries reports the entries it leaves provisional, in entry order. */
export interface EntryRecords {
  /** Entry `index` (its τ are computed by the callee from the inputs). */
  one(index: number): void;
  /** `count` entries laid out as records: 1 + T words each, the index (uint32 bits), then its τ (float32). */
  many(words: Float32Array, count: number): void;
}

/** Per task, what mergeEntries may count: |τt| with bits ≥ highBits[t] (kept for sure), and NaN/±Inf τt. */
export interface EntryCounts {
  readonly keeps: Float64Array;
  readonly nonFinite: Float64Array;
}

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

/**
 * out[i] = θ0 + λ·merged for every entry that is decided; θ0 for the others (undecided, or a zero sign
 * whose result hangs on the sign under the 'record' rule), which go to `records` in entry order.
 * Returns Σ sign(Σt kept τt) over the decided entries; adds to `counts`, when given, each task's count
 * of |τt| with bits ≥ highBits[t] and of non-finite τt. Inputs that lie in a kernel arena are merged by spans (ties-span.ts),
 * shared with a worker thread when long; the rest a block at a time from here.
 */
export function mergeEntries(
  pretrained: Float32Array,
  deltas: TaskDeltas,
  trim: TrimBits,
  options: EntryMerge,
  out: Float32Array,
  records: EntryRecords = NO_RECORDS,
  counts?: EntryCounts,
): number {
  const n = out.length;
  const tasks = deltas.arrays.length;
  const target = spanTarget([pretrained, deltas.base, ...deltas.arrays], tasks, n);
  if (target === null) {
    if (counts !== undefined) countKept(deltas, trim.highBits, 0, counts);
    return mergeBlocks(pretrained, deltas, trim, options, out, records, 0);
  }
  const direct = out.buffer === target.memory.buffer;
  const spanOut = direct ? out : workOutput(target, n);
  const { merge_func, scaling_factor: lambda, tie } = options;
  const inputs = {
    pretrained,
    ...deltas,
    ...trim,
    mode: MODES[merge_func],
    lambda,
    tie: tie === 'record' ? 0 : tie,
    buckets: trim.buckets ?? null,
  };
  const spans = runSpans(tiesBlockFor([pretrained]), target, inputs, spanOut);
  if (!direct) out.set(spanOut.subarray(0, target.covered));
  for (const { buffer, from, count } of spans.records) {
    if (count > 0) records.many(new Float32Array(buffer, from, count * (1 + tasks)), count);
  }
  if (counts !== undefined) {
    for (let t = 0; t < tasks; t++) {
      counts.keeps[t] += spans.keeps[t];
      counts.nonFinite[t] += spans.nonFinite[t];
    }
    countKept(deltas, trim.highBits, target.covered, counts);
  }
  return spans.votes + mergeBlocks(pretrained, deltas, trim, options, out, records, target.covered);
}

const tauScratch = new Float32Array(1);
const tauBits = new Int32Array(tauScratch.buffer);

/** `counts` of the entries from `from` on, as the kernels count them. */
function countKept(
  { base, arrays }: TaskDeltas,
  highBits: Int32Array,
  from: number,
  counts: EntryCounts,
): void {
  arrays.forEach((array, t) => {
    const high = highBits[t];
    let kept = 0;
    let nonFinite = 0;
    for (let i = from; i < array.length; i++) {
      tauScratch[0] = array[i] - base[i];
      const magnitude = tauBits[0] & 0x7fffffff;
      if (magnitude >= high) kept++;
      if (magnitude >= 0x7f800000) nonFinite++;
    }
    counts.keeps[t] += kept;
    counts.nonFinite[t] += nonFinite;
  });
}

/** mergeEntries for entries [from, n), a block at a time. */
function mergeBlocks(
  pretrained: Float32Array,
  deltas: TaskDeltas,
  trim: TrimBits,
  options: EntryMerge,
  out: Float32Array,
  records: EntryRecords,
  from: number,
): number {
  if (from >= out.length) return 0;
  const block = tiesBlockFor([pretrained, deltas.base, ...deltas.arrays]);
  let votes = 0;
  for (let start = from; start < out.length; start += BLOCK) {
    const n = Math.min(BLOCK, out.length - start);
    accumulate(block, deltas, trim, start, n, options.merge_func !== 'sum');
    if (options.merge_func === 'mean') block.meanParts(n);
    else if (options.merge_func === 'max') block.maxParts(n);
    votes += resolve(block, pretrained, out, start, n, options, records);
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

/** θ0 + λ·(the merged value of the elected sign) per entry; zero signs and undecided entries settled apart. */
function resolve(
  block: TiesBlock,
  pretrained: Float32Array,
  out: Float32Array,
  start: number,
  n: number,
  { scaling_factor: lambda, tie }: EntryMerge,
  records: EntryRecords,
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
  const { parts, undecided } = block;
  for (let k = 0; k < count; k++) {
    const j = specialEntries[k];
    const i = start + j;
    if (settles(out, i, pretrained[i], undecided[j], parts[j], parts[BLOCK + j], lambda, tie)) continue;
    out[i] = pretrained[i];
    records.one(i);
  }
  return votes;
}

/**
 * Writes the merged value of a special entry when it is decided: a zero sign merged with the `tie` sign,
 * or, under 'record', when both signs give the same float32 (`up` and `down` are their merged values).
 * False when the entry must be recorded (undecided, or its result hangs on the sign).
 */
function settles(
  out: Float32Array,
  i: number,
  theta: number,
  undecided: number,
  up: number,
  down: number,
  lambda: number,
  tie: TieRule,
): boolean {
  if (undecided !== 0) return false;
  if (tie !== 'record') {
    out[i] = theta + lambda * (tie > 0 ? up : down);
    return true;
  }
  out[i] = theta + lambda * up;
  return Object.is(out[i], Math.fround(theta + lambda * down));
}

/** For callers whose every entry is decided: a provisional entry is a bug. */
const NO_RECORDS: EntryRecords = {
  one(index) {
    throw new RangeError(`ties: entry ${index} is undecided but no record was asked for`);
  },
  many(words) {
    throw new RangeError(
      `ties: entry ${new Uint32Array(words.buffer, words.byteOffset, 1)[0]} is undecided but no record was asked for`,
    );
  },
};
