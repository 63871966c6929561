/**
 * The entry kernel of Ties (trim, elect sign, disjoint merge), shared by every path: the per-tensor trim,
 * the global merge pass and the finalize of its recorded entries. Bit-identical to the scalar definition
 * (per entry: τt = float32(arrays[t] − base), kept when |τt| ≥ threshold, sums in float64 in task order).
 *
 * Why it is shaped so: V8 runs a loop over `arrays[t][i]` with per-value branches slowly (a reload per
 * task, a mispredicted branch per trim decision). Here a block of entries is run four tasks at a time,
 * each task's array held in a local; τ goes through a 4-lane float32 buffer whose int32 view gives the
 * bit patterns (for finite x the bits of |x| are ordered like |x|), so the trim is integer arithmetic
 * without branches, and a kept value is τ × 1, a trimmed one τ × 0 = ±0, which leaves a float64 sum
 * unchanged as skipping it does (no sum here is −0: each starts at +0, and +0 + −0 = +0). The elected
 * sign picks its merged value by the sign bit of the total, as an index.
 */
import type { MergeFunc } from '../ties.js';

/** Entries per block: the per-entry sums of a block stay in L1. */
export const BLOCK = 1024;
const MAGNITUDE = 0x7fffffff;
/** Bounds of a padding task: every magnitude is below them (trimmed, never undecided). */
const PAD_BITS = 0x7fffffff;

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

const lanes = new Float32Array(4);
const laneBits = new Int32Array(lanes.buffer);
const scratch = new Float32Array(BLOCK);
const scratchBits = new Int32Array(scratch.buffer);
/** Per entry of the block: Σ kept τt (its high words give the sign), whether some τt is undecided. */
const total = new Float64Array(BLOCK);
const totalWords = new Int32Array(total.buffer);
const undecided = new Int32Array(BLOCK);
/** Per entry, interleaved: [2j] the sum of the kept τ > 0 (then the merged value up), [2j + 1] of τ ≤ 0 (down). */
const parts = new Float64Array(2 * BLOCK);
/** mean: counts of kept τ > 0 and < 0; max: largest kept magnitude of each sign, as bit patterns. */
const positiveStat = new Int32Array(BLOCK);
const negativeStat = new Int32Array(BLOCK);

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
  let votes = 0;
  for (let start = 0; start < out.length; start += BLOCK) {
    const n = Math.min(BLOCK, out.length - start);
    accumulate(deltas, trim, start, n);
    if (options.merge_func !== 'sum') addStats(deltas, trim, start, n, options.merge_func);
    votes += resolve(pretrained, out, start, n, options, record);
  }
  return votes;
}

/** Σ over entries of sign(Σt kept τt) under exact thresholds: the majority vote of Ties. */
export function entryVotes(deltas: TaskDeltas, trim: TrimBits): number {
  const length = deltas.base.length;
  let votes = 0;
  for (let start = 0; start < length; start += BLOCK) {
    const n = Math.min(BLOCK, length - start);
    accumulate(deltas, trim, start, n);
    for (let j = 0; j < n; j++) votes += Math.sign(total[j]);
  }
  return votes;
}

/** Fills total, parts and undecided for entries [start, start + n), four tasks at a time. */
function accumulate({ base, arrays }: TaskDeltas, trim: TrimBits, start: number, n: number): void {
  total.fill(0, 0, n);
  parts.fill(0, 0, 2 * n);
  undecided.fill(0, 0, n);
  const { lowBits, highBits } = trim;
  const count = arrays.length;
  for (let t = 0; t < count; t += 4) {
    // A missing task of the last group reads τ = base − base = 0, with bounds that trim it.
    for (let k = 0; k < 4; k++) {
      groupLows[k] = t + k < count ? lowBits[t + k] : PAD_BITS;
      groupHighs[k] = t + k < count ? highBits[t + k] : PAD_BITS;
    }
    const at = (k: number) => (t + k < count ? arrays[t + k] : base);
    addFour(base, at(0), at(1), at(2), at(3), start, n);
  }
}

const groupLows = new Int32Array(4);
const groupHighs = new Int32Array(4);

/** Adds four tasks' kept τ to the block's sums, in task order. */
function addFour(
  base: Float32Array,
  a0: Float32Array,
  a1: Float32Array,
  a2: Float32Array,
  a3: Float32Array,
  start: number,
  n: number,
): void {
  const [l0, l1, l2, l3] = groupLows;
  const [h0, h1, h2, h3] = groupHighs;
  for (let j = 0; j < n; j++) {
    const i = start + j;
    const b = base[i];
    lanes[0] = a0[i] - b;
    lanes[1] = a1[i] - b;
    lanes[2] = a2[i] - b;
    lanes[3] = a3[i] - b;
    const x0 = laneBits[0];
    const x1 = laneBits[1];
    const x2 = laneBits[2];
    const x3 = laneBits[3];
    const m0 = x0 & MAGNITUDE;
    const m1 = x1 & MAGNITUDE;
    const m2 = x2 & MAGNITUDE;
    const m3 = x3 & MAGNITUDE;
    // −1 where the magnitude reaches the high bound (kept), else 0; undecided: low ≤ magnitude < high.
    const k0 = (h0 - 1 - m0) >> 31;
    const k1 = (h1 - 1 - m1) >> 31;
    const k2 = (h2 - 1 - m2) >> 31;
    const k3 = (h3 - 1 - m3) >> 31;
    undecided[j] |=
      (((l0 - 1 - m0) >> 31) & ~k0) |
      (((l1 - 1 - m1) >> 31) & ~k1) |
      (((l2 - 1 - m2) >> 31) & ~k2) |
      (((l3 - 1 - m3) >> 31) & ~k3);
    const v0 = lanes[0] * (k0 & 1);
    const v1 = lanes[1] * (k1 & 1);
    const v2 = lanes[2] * (k2 & 1);
    const v3 = lanes[3] * (k3 & 1);
    const s0 = x0 >>> 31;
    const s1 = x1 >>> 31;
    const s2 = x2 >>> 31;
    const s3 = x3 >>> 31;
    total[j] = total[j] + v0 + v1 + v2 + v3;
    parts[2 * j] = parts[2 * j] + v0 * (s0 ^ 1) + v1 * (s1 ^ 1) + v2 * (s2 ^ 1) + v3 * (s3 ^ 1);
    parts[2 * j + 1] = parts[2 * j + 1] + v0 * s0 + v1 * s1 + v2 * s2 + v3 * s3;
  }
}

/** mean and max: the per-sign counts or maxima, then parts turned into the merged value of each sign. */
function addStats({ base, arrays }: TaskDeltas, trim: TrimBits, start: number, n: number, func: MergeFunc) {
  positiveStat.fill(0, 0, n);
  negativeStat.fill(0, 0, n);
  for (let t = 0; t < arrays.length; t++) {
    const array = arrays[t];
    for (let j = 0; j < n; j++) scratch[j] = array[start + j] - base[start + j];
    if (func === 'mean') addCounts(n, trim.highBits[t]);
    else addMaxima(n, trim.highBits[t]);
  }
  if (func === 'mean') {
    for (let j = 0; j < n; j++) {
      parts[2 * j] /= Math.max(positiveStat[j], 1);
      parts[2 * j + 1] /= Math.max(negativeStat[j], 1);
    }
    return;
  }
  for (let j = 0; j < n; j++) {
    scratchBits[j] = positiveStat[j];
    parts[2 * j] = scratch[j];
    scratchBits[j] = negativeStat[j];
    parts[2 * j + 1] = -scratch[j];
  }
}

/** Counts of the kept τ > 0 and < 0 of the task in `scratch` (a kept ±0 counts for neither). */
function addCounts(n: number, high: number): void {
  for (let j = 0; j < n; j++) {
    const bits = scratchBits[j];
    const magnitude = bits & MAGNITUDE;
    const nonzeroKept = ((high - 1 - magnitude) >>> 31) & ((magnitude | -magnitude) >>> 31);
    const sign = bits >>> 31;
    positiveStat[j] += nonzeroKept & (sign ^ 1);
    negativeStat[j] += nonzeroKept & sign;
  }
}

/** Largest kept magnitude of each sign of the task in `scratch`, as bit patterns (integer max). */
function addMaxima(n: number, high: number): void {
  for (let j = 0; j < n; j++) {
    const bits = scratchBits[j];
    const magnitude = bits & MAGNITUDE;
    const kept = magnitude & ((high - 1 - magnitude) >> 31);
    const negativeMask = bits >> 31;
    const p = kept & ~negativeMask;
    const q = kept & negativeMask;
    const a = positiveStat[j];
    const b = negativeStat[j];
    positiveStat[j] = a - ((a - p) & ((a - p) >> 31));
    negativeStat[j] = b - ((b - q) & ((b - q) >> 31));
  }
}

/** θ0 + λ·(the merged value of the elected sign) per entry; zero signs and undecided entries apart. */
function resolve(
  pretrained: Float32Array,
  out: Float32Array,
  start: number,
  n: number,
  { scaling_factor: lambda, tie }: EntryMerge,
  record: (index: number) => void,
): number {
  let votes = 0;
  for (let j = 0; j < n; j++) {
    const i = start + j;
    if (undecided[j] !== 0 || total[j] === 0) {
      settle(pretrained, out, i, j, lambda, tie, record);
      continue;
    }
    const negative = totalWords[2 * j + 1] >>> 31;
    votes += 1 - 2 * negative;
    out[i] = pretrained[i] + lambda * parts[2 * j + negative];
  }
  return votes;
}

/** An undecided entry (recorded) or a zero sign (the `tie` sign, or recorded if the sign matters). */
function settle(
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
    out[i] = theta + lambda * parts[2 * j + (tie > 0 ? 0 : 1)];
    return;
  }
  if (undecided[j] === 0) {
    out[i] = theta + lambda * parts[2 * j];
    if (Object.is(out[i], Math.fround(theta + lambda * parts[2 * j + 1]))) return;
  }
  out[i] = theta;
  record(i);
}

function noRecord(index: number): void {
  throw new RangeError(`ties: entry ${index} is undecided but no record was asked for`);
}
