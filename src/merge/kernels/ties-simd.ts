/**
 * The Ties entry kernel's WebAssembly SIMD steps (code in ties-simd-code.ts), for one block of entries:
 * - accumulate: for up to four tasks, τ = float32(array − base), the trim on bit patterns, and per entry
 *   the float64 sums (in task order) of the kept τ, of the kept τ > 0 and of the kept τ ≤ 0, and whether
 *   some τ is undecided; `stats` also keeps, for mean and max, the per-sign counts of nonzero kept τ and
 *   the largest kept magnitude of each sign (as bit patterns, ordered like the magnitudes). A trimmed τ
 *   becomes +0, which leaves a float64 sum unchanged (no sum here is −0: each starts at +0, and
 *   +0 + −0 = +0).
 * - resolve: float32(θ0 + λ·merged) by the sign of the total, the votes, and the entries left to the
 *   caller (undecided, or a total of 0).
 * Four entries per instruction: one f32x4 lane each, float64 values as two f64x2 halves, computed with
 * the same IEEE operations in the same order as the scalar definition, so the results are identical.
 *
 * The kernel reads a tensor in place when it lies in the memory the kernel runs in (the merge driver's
 * read-ahead ring, see kernel-memory.ts), by address; other tensors, and a block whose length is not a
 * multiple of 4 (the lanes past its end would be read), are copied into its scratch a block at a time.
 * The memories never grow, so the views below stay valid.
 */
import { memoryHolding, perMemory, TIES_SCRATCH, type WasmMemory } from './kernel-memory.js';
import { checkedTiesLayout, SIMD_BLOCK, SIMD_TASKS } from './ties-layout.js';
import { tiesSimdModule } from './ties-span-code.js';

export { SIMD_BLOCK, SIMD_TASKS } from './ties-layout.js';

const {
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
  SPECIALS,
} = checkedTiesLayout(TIES_SCRATCH);
const B = SIMD_BLOCK;
type Accumulate = (n: number, tasks: number) => void;
/** records(at, count, tasks, mode, λ, tie, valuesAt, write) → votes (see ties-records-code.ts). */
type Records = (
  at: number,
  count: number,
  tasks: number,
  mode: number,
  lambda: number,
  tie: number,
  valuesAt: number,
  write: number,
) => number;
/** span(n, tasks, mode, λ, outAt, listAt, tie, first) → votes (see ties-span-code.ts). */
export type Span = (
  n: number,
  tasks: number,
  mode: number,
  lambda: number,
  outAt: number,
  listAt: number,
  tie: number,
  first: number,
) => number;

/** The kernel in one memory: its functions, and views of the block's inputs and results there. */
const tiesKernel = perMemory(tiesSimdModule(TIES_SCRATCH), (exports, memory: WasmMemory) => {
  const view = <T>(
    make: new (buffer: SharedArrayBuffer, offset: number, length: number) => T,
    at: number,
    n = B,
  ) => new make(memory.buffer, at, n);
  return {
    memory: memory.buffer,
    accumulateSums: exports.accumulate as Accumulate,
    accumulateStats: exports.accumulateStats as Accumulate,
    accumulateSumsFresh: exports.accumulateFresh as Accumulate,
    accumulateStatsFresh: exports.accumulateStatsFresh as Accumulate,
    resolveEntries: exports.resolve as (n: number, lambda: number) => number,
    meanParts: exports.meanParts as (n: number) => void,
    maxParts: exports.maxParts as (n: number) => void,
    span: exports.span as Span,
    records: exports.records as Records,
    nonFinite: exports.nonFinite as (at: number, n: number) => number,
    /** Per entry, Σ kept τ. */
    total: view(Float64Array, TOTAL),
    /** [j] the kept τ > 0 summed, [B + j] the kept τ ≤ 0 summed (then the merged value of each sign). */
    parts: view(Float64Array, PARTS, 2 * B),
    /** Nonzero where some |τ| lies between its task's low and high bound. */
    undecided: view(Int32Array, UNDECIDED),
    /** With stats: counts of the kept τ > 0 and < 0, largest kept magnitude bits of each sign. */
    positiveCount: view(Int32Array, STATS),
    negativeCount: view(Int32Array, STATS + 4 * B),
    positiveMax: view(Int32Array, STATS + 8 * B),
    negativeMax: view(Int32Array, STATS + 12 * B),
    /** After `resolveBlock`: the merged values, and −1 where the entry is left to the caller. */
    out: view(Float32Array, OUT),
    special: view(Int32Array, SPECIAL),
    /** After `resolveBlock`: minus the count of −1 in `special` (lanes past the block's end included). */
    specials: view(Int32Array, SPECIALS, 1),
    statWords: view(Int32Array, STATS, 4 * B),
    lows: view(Int32Array, LOWS, SIMD_TASKS),
    highs: view(Int32Array, HIGHS, SIMD_TASKS),
    baseCopy: view(Float32Array, BASE),
    thetaCopy: view(Float32Array, THETA),
    arrayCopies: Array.from({ length: SIMD_TASKS }, (_, k) => view(Float32Array, ARRAYS + 4 * B * k)),
    /** The addresses of the base, θ0 and the arrays of the block. */
    addresses: view(Int32Array, ADDRESSES, 2 + SIMD_TASKS),
  };
});

/** The kernel and its views in one memory; its results are read through these views. */
export type TiesBlock = ReturnType<typeof tiesKernel>;

/** The kernel in the memory that holds some of `inputs` (read in place), or in the default memory. */
export function tiesBlockFor(inputs: readonly Float32Array[]): TiesBlock {
  return tiesKernel(memoryHolding(inputs));
}

/** The kernel in `memory`. */
export function tiesBlockIn(memory: WasmMemory): TiesBlock {
  return tiesKernel(memory);
}

/** Sets base[start, start + n) as the base of a new block (the first `addTasks` starts its sums at zero). */
export function startBlock(block: TiesBlock, baseArray: Float32Array, start: number, n: number): void {
  block.addresses[0] = address(block, block.baseCopy, baseArray, start, n);
}

/** Zeroes the sums, undecided flags and stats of a block no task is added to. */
export function clearBlock(block: TiesBlock, n: number, stats: boolean): void {
  const m = roundUp4(n);
  block.total.fill(0, 0, m);
  block.parts.fill(0, 0, m);
  block.parts.fill(0, B, B + m);
  block.undecided.fill(0, 0, m);
  if (stats) {
    for (let k = 0; k < 4; k++) block.statWords.fill(0, k * B, k * B + m);
  }
}

/** Adds tasks [first, first + count) (count ≤ 4) of the block to its sums (and stats); from zero when first = 0. */
export function addTasks(
  block: TiesBlock,
  arrays: readonly Float32Array[],
  lowBits: Int32Array,
  highBits: Int32Array,
  first: number,
  count: number,
  start: number,
  n: number,
  stats: boolean,
): void {
  for (let k = 0; k < count; k++) {
    block.addresses[2 + k] = address(block, block.arrayCopies[k], arrays[first + k], start, n);
    block.lows[k] = lowBits[first + k];
    block.highs[k] = highBits[first + k];
  }
  const fresh = first === 0;
  const accumulate = stats
    ? fresh
      ? block.accumulateStatsFresh
      : block.accumulateStats
    : fresh
      ? block.accumulateSumsFresh
      : block.accumulateSums;
  accumulate(roundUp4(n), count);
}

/**
 * out = float32(θ0 + λ·parts[j or B + j by the sign of the total]) and `special` for the block, θ0 read
 * from pretrained[start, start + n); returns Σ sign(total) over the entries not special.
 */
export function resolveBlock(
  block: TiesBlock,
  pretrained: Float32Array,
  start: number,
  n: number,
  lambda: number,
): number {
  block.addresses[1] = address(block, block.thetaCopy, pretrained, start, n);
  return block.resolveEntries(roundUp4(n), lambda);
}

/**
 * The address in the kernel's memory of from[start, start + n): in place when `from` lies there and n is
 * a multiple of 4, else of a copy in `scratch`, padded with zeros to a multiple of 4.
 */
function address(
  block: TiesBlock,
  scratch: Float32Array,
  from: Float32Array,
  start: number,
  n: number,
): number {
  if (from.buffer === block.memory && (n & 3) === 0) return from.byteOffset + 4 * start;
  scratch.set(from.subarray(start, start + n));
  scratch.fill(0, n, roundUp4(n));
  return scratch.byteOffset;
}

function roundUp4(n: number): number {
  return (n + 3) & ~3;
}
