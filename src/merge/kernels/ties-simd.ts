/**
 * The accumulation step of the Ties entry kernel in WebAssembly SIMD: for a block of entries and up to
 * four tasks, τ = float32(array − base), the trim on bit patterns, and per entry the float64 sums (in
 * task order) of the kept τ, of the kept τ > 0 and of the kept τ ≤ 0, and whether some τ is undecided.
 * `accumulateStats` also keeps, for mean and max, the per-sign counts of nonzero kept τ and the largest
 * kept magnitude of each sign (as bit patterns, ordered like the magnitudes).
 * Four entries per step: one f32x4 lane each, their sums as two f64x2 halves. A trimmed τ becomes +0,
 * which leaves a float64 sum unchanged (no sum here is −0: each starts at +0, and +0 + −0 = +0).
 *
 * The caller copies base and task arrays into `inputs` (wasm memory; the copy reads the models' tensors
 * once, as a stream), sets the bounds, and reads the sums from the views, which persist across calls so
 * that a block's tasks go four at a time. The memory never grows: the views stay valid.
 */
import { I32, op, V128, vop, wasmModule } from './wasm-builder.js';

/** Entries per block (a power of two: the merged value of each sign is found at j + (sign << 10)). */
export const SIMD_BLOCK = 1024;
export const SIMD_BLOCK_SHIFT = 10;
/** Tasks per call. */
export const SIMD_TASKS = 4;

const B = SIMD_BLOCK;
const TOTAL = 0; // f64 × B
const PARTS = TOTAL + 8 * B; // f64 × 2B: the positive sums, then the negative ones
const UNDECIDED = PARTS + 16 * B; // i32 × B
const STATS = UNDECIDED + 4 * B; // i32 × B each: positive count, negative count, positive max, negative max
const LOWS = STATS + 16 * B; // i32 × 4
const HIGHS = LOWS + 16; // i32 × 4
const BASE = HIGHS + 16; // f32 × B
const ARRAYS = BASE + 4 * B; // f32 × B per task
const END = ARRAYS + SIMD_TASKS * 4 * B;
const PAGES = Math.ceil(END / 65536);

// Locals: params n (entries, a multiple of 4) and tasks; then byte offsets of the entry; then vectors.
const [n, tasks, i, t, at4, at8] = [0, 1, 2, 3, 4, 5];
const [base, x, magnitude, keep, undecided, kept, negative, part] = [6, 7, 8, 9, 10, 11, 12, 13];
const [totalLow, totalHigh, positiveLow, positiveHigh, negativeLow, negativeHigh] = [14, 15, 16, 17, 18, 19];
const [keptMagnitude, nonzero, positiveCount, negativeCount, positiveMax, negativeMax] = [
  20, 21, 22, 23, 24, 25,
];
const HIGH_LANES = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** sums[low], sums[high] += float64 of the low and high two lanes of `value`. */
function addWidened(value: number, low: number, high: number): number[] {
  return [
    ...op.get(low),
    ...op.get(value),
    ...vop.f64x2PromoteLowF32x4,
    ...vop.f64x2Add,
    ...op.set(low),
    ...op.get(high),
    ...op.get(value),
    ...op.get(value),
    ...vop.shuffle(HIGH_LANES),
    ...vop.f64x2PromoteLowF32x4,
    ...vop.f64x2Add,
    ...op.set(high),
  ];
}

/** Counts (subtracting −1 lanes) and maxima per sign of the kept τ, after `taskStep` set kept, negative. */
function statsStep(): number[] {
  const update = (local: number, value: number[], combine: number[]) => [
    ...op.get(local),
    ...value,
    ...combine,
    ...op.set(local),
  ];
  return [
    ...[...op.get(magnitude), ...op.get(keep), ...vop.and, ...op.set(keptMagnitude)],
    ...[...op.get(keptMagnitude), ...vop.i32x4Const(0), ...vop.i32x4Ne, ...op.set(nonzero)],
    ...update(positiveCount, [...op.get(nonzero), ...op.get(negative), ...vop.andNot], vop.i32x4Sub),
    ...update(negativeCount, [...op.get(nonzero), ...op.get(negative), ...vop.and], vop.i32x4Sub),
    ...update(positiveMax, [...op.get(keptMagnitude), ...op.get(negative), ...vop.andNot], vop.i32x4MaxS),
    ...update(negativeMax, [...op.get(keptMagnitude), ...op.get(negative), ...vop.and], vop.i32x4MaxS),
  ];
}

/** One task on the four entries at `at4`: trim, then the three sums and the undecided mask. */
function taskStep(): number[] {
  const bound = (offset: number) => [...op.get(t), ...op.i32Const(2), ...op.i32Shl, ...op.i32Load(offset)];
  return [
    ...[...op.get(at4), ...op.get(t), ...op.i32Const(12), ...op.i32Shl, ...op.i32Add],
    ...[...vop.load(ARRAYS), ...op.get(base), ...vop.f32x4Sub, ...op.set(x)],
    ...[...op.get(x), ...vop.i32x4Const(0x7fffffff), ...vop.and, ...op.set(magnitude)],
    ...[...op.get(magnitude), ...bound(HIGHS), ...vop.i32x4Splat, ...vop.i32x4GeS, ...op.set(keep)],
    ...[...op.get(undecided), ...op.get(magnitude), ...bound(LOWS), ...vop.i32x4Splat, ...vop.i32x4GeS],
    ...[...op.get(keep), ...vop.andNot, ...vop.or, ...op.set(undecided)],
    ...[...op.get(x), ...op.get(keep), ...vop.and, ...op.set(kept)],
    ...[...op.get(kept), ...op.i32Const(31), ...vop.i32x4ShrS, ...op.set(negative)],
    ...addWidened(kept, totalLow, totalHigh),
    ...[...op.get(kept), ...op.get(negative), ...vop.andNot, ...op.set(part)],
    ...addWidened(part, positiveLow, positiveHigh),
    ...[...op.get(kept), ...op.get(negative), ...vop.and, ...op.set(part)],
    ...addWidened(part, negativeLow, negativeHigh),
  ];
}

/** The sums of the block, loaded at the start of an entry step and stored at its end. */
const SUMS: readonly (readonly [number, number, number])[] = [
  [totalLow, at8, TOTAL],
  [totalHigh, at8, TOTAL + 16],
  [positiveLow, at8, PARTS],
  [positiveHigh, at8, PARTS + 16],
  [negativeLow, at8, PARTS + 8 * B],
  [negativeHigh, at8, PARTS + 8 * B + 16],
  [undecided, at4, UNDECIDED],
];
const STAT_SUMS: readonly (readonly [number, number, number])[] = [
  [positiveCount, at4, STATS],
  [negativeCount, at4, STATS + 4 * B],
  [positiveMax, at4, STATS + 8 * B],
  [negativeMax, at4, STATS + 12 * B],
];

function accumulateBody(stats: boolean): number[] {
  const sums = stats ? [...SUMS, ...STAT_SUMS] : SUMS;
  const loop = (counter: number, limit: number, step: number, inner: number[]) => [
    ...[...op.i32Const(0), ...op.set(counter), ...op.block, ...op.loop],
    ...[...op.get(counter), ...op.get(limit), ...op.i32GeU, ...op.brIf(1)],
    ...inner,
    ...[...op.get(counter), ...op.i32Const(step), ...op.i32Add, ...op.set(counter), ...op.br(0)],
    ...[...op.end, ...op.end],
  ];
  const entryStep = [
    ...[...op.get(i), ...op.i32Const(2), ...op.i32Shl, ...op.set(at4)],
    ...[...op.get(i), ...op.i32Const(3), ...op.i32Shl, ...op.set(at8)],
    ...[...op.get(at4), ...vop.load(BASE), ...op.set(base)],
    ...sums.flatMap(([local, at, offset]) => [...op.get(at), ...vop.load(offset), ...op.set(local)]),
    ...loop(t, tasks, 1, stats ? [...taskStep(), ...statsStep()] : taskStep()),
    ...sums.flatMap(([local, at, offset]) => [...op.get(at), ...op.get(local), ...vop.store(offset)]),
  ];
  return loop(i, n, 4, entryStep);
}

/** The part of the WebAssembly JS API used here (the project's libs carry no typings for it). */
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const memory = new wasm.Memory({ initial: PAGES, maximum: PAGES });
const instance = new wasm.Instance(
  new wasm.Module(
    wasmModule(
      PAGES,
      [false, true].map((stats) => ({
        name: stats ? 'accumulateStats' : 'accumulate',
        params: [I32, I32],
        locals: [
          [4, I32],
          [20, V128],
        ],
        body: accumulateBody(stats),
      })),
    ),
  ),
  { env: { memory } },
);
type Accumulate = (n: number, tasks: number) => void;
const accumulateSums = instance.exports.accumulate as Accumulate;
const accumulateStats = instance.exports.accumulateStats as Accumulate;

const simdTotal = new Float64Array(memory.buffer, TOTAL, B);
const simdParts = new Float64Array(memory.buffer, PARTS, 2 * B);
const simdUndecided = new Int32Array(memory.buffer, UNDECIDED, B);

/**
 * Views of the block's results (one object: callers copy the views into their own constants, as a
 * module's live exports may be read through accessors in hot loops).
 */
export const simdSums = {
  /** Per entry, Σ kept τ; `totalWords` views it as int32 (word 2j + 1 holds the sign bit). */
  total: simdTotal,
  totalWords: new Int32Array(memory.buffer, TOTAL, 2 * B),
  /** [j] the kept τ > 0 summed, [B + j] the kept τ ≤ 0 summed (then the merged value of each sign). */
  parts: simdParts,
  /** Nonzero where some |τ| lies between its task's low and high bound. */
  undecided: simdUndecided,
  /** With stats: counts of the kept τ > 0 and < 0, largest kept magnitude bits of each sign. */
  positiveCount: new Int32Array(memory.buffer, STATS, B),
  negativeCount: new Int32Array(memory.buffer, STATS + 4 * B, B),
  positiveMax: new Int32Array(memory.buffer, STATS + 8 * B, B),
  negativeMax: new Int32Array(memory.buffer, STATS + 12 * B, B),
};
const statWords = new Int32Array(memory.buffer, STATS, 4 * B);
const lows = new Int32Array(memory.buffer, LOWS, SIMD_TASKS);
const highs = new Int32Array(memory.buffer, HIGHS, SIMD_TASKS);
const baseInput = new Float32Array(memory.buffer, BASE, B);
const arrayInputs = Array.from(
  { length: SIMD_TASKS },
  (_, k) => new Float32Array(memory.buffer, ARRAYS + 4 * B * k, B),
);

/** Zeroes the sums, undecided flags and stats, and loads base[start, start + n) for a new block. */
export function startBlock(baseArray: Float32Array, start: number, n: number, stats: boolean): void {
  const m = roundUp4(n);
  simdTotal.fill(0, 0, m);
  simdParts.fill(0, 0, m);
  simdParts.fill(0, B, B + m);
  simdUndecided.fill(0, 0, m);
  if (stats) {
    for (let k = 0; k < 4; k++) statWords.fill(0, k * B, k * B + m);
  }
  baseInput.set(baseArray.subarray(start, start + n));
  baseInput.fill(0, n, m);
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
    const input = arrayInputs[k];
    input.set(arrays[first + k].subarray(start, start + n));
    input.fill(0, n, roundUp4(n));
    lows[k] = lowBits[first + k];
    highs[k] = highBits[first + k];
  }
  (stats ? accumulateStats : accumulateSums)(roundUp4(n), count);
}

function roundUp4(n: number): number {
  return (n + 3) & ~3;
}
