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
 * The caller's tensors are copied into the module's memory a block at a time (the copy reads them once,
 * as a stream). The memory never grows, so the views below stay valid.
 */
import { defaultMemory, wasm } from './kernel-memory.js';
import {
  ARRAYS,
  BASE,
  HIGHS,
  LOWS,
  OUT,
  PARTS,
  SIMD_BLOCK,
  SIMD_TASKS,
  SPECIAL,
  STATS,
  THETA,
  TOTAL,
  tiesSimdModule,
  UNDECIDED,
} from './ties-simd-code.js';

export { SIMD_BLOCK, SIMD_TASKS } from './ties-simd-code.js';

const B = SIMD_BLOCK;

const memory = defaultMemory;
const { exports } = new wasm.Instance(new wasm.Module(tiesSimdModule()), { env: { memory } });
type Accumulate = (n: number, tasks: number) => void;
const accumulateSums = exports.accumulate as Accumulate;
const accumulateStats = exports.accumulateStats as Accumulate;
const resolveEntries = exports.resolve as (n: number, lambda: number) => number;

const view = <T>(
  make: new (buffer: SharedArrayBuffer, offset: number, length: number) => T,
  at: number,
  n = B,
) => new make(memory.buffer, at, n);

/**
 * Views of the block's results (one object: callers copy the views into their own constants, as a
 * module's live exports may be read through accessors in hot loops).
 */
export const simdBlock = {
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
};

const statWords = view(Int32Array, STATS, 4 * B);
const lows = view(Int32Array, LOWS, SIMD_TASKS);
const highs = view(Int32Array, HIGHS, SIMD_TASKS);
const baseInput = view(Float32Array, BASE);
const thetaInput = view(Float32Array, THETA);
const arrayInputs = Array.from({ length: SIMD_TASKS }, (_, k) => view(Float32Array, ARRAYS + 4 * B * k));
const { total, parts, undecided } = simdBlock;

/** Zeroes the sums, undecided flags and stats, and loads base[start, start + n) for a new block. */
export function startBlock(baseArray: Float32Array, start: number, n: number, stats: boolean): void {
  const m = roundUp4(n);
  total.fill(0, 0, m);
  parts.fill(0, 0, m);
  parts.fill(0, B, B + m);
  undecided.fill(0, 0, m);
  if (stats) {
    for (let k = 0; k < 4; k++) statWords.fill(0, k * B, k * B + m);
  }
  loadPadded(baseInput, baseArray, start, n);
}

/** Adds tasks [first, first + count) (count ≤ 4) of the block to its sums (and stats). */
export function addTasks(
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
    loadPadded(arrayInputs[k], arrays[first + k], start, n);
    lows[k] = lowBits[first + k];
    highs[k] = highBits[first + k];
  }
  (stats ? accumulateStats : accumulateSums)(roundUp4(n), count);
}

/**
 * out = float32(θ0 + λ·parts[j or B + j by the sign of the total]) and `special` for the block, θ0 read
 * from pretrained[start, start + n); returns Σ sign(total) over the entries not special.
 */
export function resolveBlock(pretrained: Float32Array, start: number, n: number, lambda: number): number {
  loadPadded(thetaInput, pretrained, start, n);
  return resolveEntries(roundUp4(n), lambda);
}

/** into[0, n) = from[start, start + n), zeros up to a multiple of 4 (the lanes past n are ignored). */
function loadPadded(into: Float32Array, from: Float32Array, start: number, n: number): void {
  into.set(from.subarray(start, start + n));
  into.fill(0, n, roundUp4(n));
}

function roundUp4(n: number): number {
  return (n + 3) & ~3;
}
