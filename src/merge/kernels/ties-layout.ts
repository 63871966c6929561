/**
 * Where the Ties entry kernel keeps one block of entries in the memory it runs in: a scratch region of
 * fixed offsets from `scratch`. Each thread that runs the kernel in a memory has a region of its own (the
 * main thread at TIES_SCRATCH, the span worker at TIES_WORKER_SCRATCH), so both may run in one shared
 * memory at once.
 */
import { RING_START } from './kernel-memory.js';

/** Entries per block. */
export const SIMD_BLOCK = 1024;
/** Tasks per call of `accumulate`. */
export const SIMD_TASKS = 4;
/** The most tasks `span` takes (its tables of input addresses and bounds are this long). */
export const SPAN_MAX_TASKS = 256;
/** Bytes of one record `span` writes (see ties-span-code.ts): the entry's index, then its τ per task. */
export function recordBytes(tasks: number): number {
  return 4 * (1 + tasks);
}

const B = SIMD_BLOCK;

export function tiesLayout(scratch: number) {
  const TOTAL = scratch; // f64 × B
  const PARTS = TOTAL + 8 * B; // f64 × 2B: the positive sums, then the negative ones
  const UNDECIDED = PARTS + 16 * B; // i32 × B
  const STATS = UNDECIDED + 4 * B; // i32 × B each: positive count, negative count, positive max, negative max
  const LOWS = STATS + 16 * B; // i32 × 4
  const HIGHS = LOWS + 16; // i32 × 4
  const BASE = HIGHS + 16; // f32 × B: the base of the block, when copied
  const ARRAYS = BASE + 4 * B; // f32 × B per task, when copied
  const THETA = ARRAYS + SIMD_TASKS * 4 * B; // f32 × B: θ0 of the block, when copied
  const OUT = THETA + 4 * B; // f32 × B: θ0 + λ·merged by the sign of the total
  const SPECIAL = OUT + 4 * B; // i32 × B: −1 where undecided or the total is 0
  /** i32 addresses of the block's inputs (in place or of the copies above): base, θ0, then the arrays. */
  const ADDRESSES = SPECIAL + 4 * B;
  /** i32: after `resolve`, minus the count of the block's special entries. */
  const SPECIALS = ADDRESSES + 8 + 4 * SIMD_TASKS;
  /** i32 addresses of a span's first entries: base, θ0, then every task's array. */
  const SPAN_INPUTS = SPECIALS + 4;
  const SPAN_LOWS = SPAN_INPUTS + 4 * (2 + SPAN_MAX_TASKS); // i32 per task
  const SPAN_HIGHS = SPAN_LOWS + 4 * SPAN_MAX_TASKS; // i32 per task
  /** i32 per task: the bucket (high 16 bits of |τ|) whose fine counts `span` keeps, −1 for none. */
  const SPAN_BUCKETS = SPAN_HIGHS + 4 * SPAN_MAX_TASKS;
  /** i32: the address of those counts (65536 i32 per task). */
  const SPAN_HISTOGRAMS = SPAN_BUCKETS + 4 * SPAN_MAX_TASKS;
  /** i32 results of `span`: its votes, and the end address of the list it wrote. */
  const SPAN_VOTES = SPAN_HISTOGRAMS + 4;
  const SPAN_LIST_END = SPAN_VOTES + 4;
  /**
   * i32 × 4 per task of a call of `accumulate`: minus the count of its kept magnitudes (|τ| ≥ high
   * bits), then (NON_FINITES) minus the count of its NaN and ±Inf τ.
   */
  const KEEPS = (SPAN_LIST_END + 4 + 15) & ~15;
  const NON_FINITES = KEEPS + 16 * SIMD_TASKS;
  /** i32 × 4 per task: a span's counts (KEEPS, NON_FINITES summed over its blocks), in lanes. */
  const SPAN_KEEPS = NON_FINITES + 16 * SIMD_TASKS;
  const SPAN_NON_FINITES = SPAN_KEEPS + 16 * SPAN_MAX_TASKS;
  const END = SPAN_NON_FINITES + 16 * SPAN_MAX_TASKS;
  return {
    TOTAL,
    PARTS,
    UNDECIDED,
    STATS,
    LOWS,
    HIGHS,
    BASE,
    ARRAYS,
    THETA,
    OUT,
    SPECIAL,
    ADDRESSES,
    BASE_ADDRESS: ADDRESSES,
    THETA_ADDRESS: ADDRESSES + 4,
    ARRAY_ADDRESSES: ADDRESSES + 8,
    SPECIALS,
    SPAN_INPUTS,
    SPAN_LOWS,
    SPAN_HIGHS,
    SPAN_BUCKETS,
    SPAN_HISTOGRAMS,
    SPAN_VOTES,
    SPAN_LIST_END,
    KEEPS,
    NON_FINITES,
    SPAN_KEEPS,
    SPAN_NON_FINITES,
    END,
  };
}

export type TiesLayout = ReturnType<typeof tiesLayout>;

/** The layout at `scratch`, checked to end before the ring (and before `limit` when given). */
export function checkedTiesLayout(scratch: number, limit = RING_START): TiesLayout {
  const layout = tiesLayout(scratch);
  if (layout.END > limit) throw new RangeError(`ties kernel: scratch at ${scratch} overlaps the next region`);
  return layout;
}
