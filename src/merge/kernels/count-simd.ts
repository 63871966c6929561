/**
 * WebAssembly SIMD kernel of Ties' counting pass: for two tasks at once, the histograms of the high 16
 * bits of |τ| (τ = float32(array − base), never stored), four differences per instruction, the base read
 * once for both. The counts go to histograms in the kernel's memory (two per task, alternating lanes, so
 * that consecutive equal buckets do not wait on each other) and are added to the caller's after each
 * call. Inputs are read in place when they lie in the kernel's memory (the merge driver's ring), else
 * copied a block at a time into its scratch.
 */
import { COUNT_SCRATCH, memoryHolding, perMemory, RING_START, type WasmMemory } from './kernel-memory.js';
import { I32, op, V128, vop, wasmModule } from './wasm-builder.js';

/** Buckets of magnitudes (the high 16 bits with the sign cleared). */
const BUCKETS = 1 << 15;
/** Entries per copied block. */
const B = 4096;
/** Fewer entries than this are left to the caller: adding the histograms would cost more than it saves. */
export const MIN_COUNTED = 1 << 14;

const FIRST = COUNT_SCRATCH; // i32 × BUCKETS × 2: the first task's histograms
const SECOND = FIRST + 8 * BUCKETS; // the second task's
const COPIES = SECOND + 8 * BUCKETS; // f32 × B × 3: the first, the second, the base, when copied
const END = COPIES + 12 * B;
if (END > RING_START) throw new RangeError('count kernel: scratch overlaps the ring');
const PAGES = Math.ceil(END / 65536);

/** Byte offset of bucket (|x| >> 16) of an i32 histogram: (bits & 0x7fff0000) >> 14. */
const BUCKET_BYTES = 0x7fff0000;

/** countPair(n, firstAt, secondAt, baseAt): both tasks' histograms of entries [0, n) (n % 4 = 0). */
function countPair() {
  const [n, firstAt, secondAt, baseAt, i, at, bucket, base, where] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const count = (array: number, histograms: number) => [
    ...[...op.get(at), ...op.get(array), ...op.i32Add, ...vop.load(0), ...op.get(base), ...vop.f32x4Sub],
    ...[...vop.i32x4Const(BUCKET_BYTES), ...vop.and, ...op.i32Const(14), ...vop.i32x4ShrU, ...op.set(where)],
    ...[0, 1, 2, 3].flatMap((lane) => {
      const histogram = histograms + (lane & 1) * 4 * BUCKETS;
      return [
        ...[...op.get(where), ...vop.i32x4ExtractLane(lane), ...op.set(bucket)],
        ...[...op.get(bucket), ...op.get(bucket), ...op.i32Load(histogram), ...op.i32Const(1), ...op.i32Add],
        ...op.i32Store(histogram),
      ];
    }),
  ];
  const step = [
    ...[...op.get(i), ...op.i32Const(2), ...op.i32Shl, ...op.set(at)],
    ...[...op.get(at), ...op.get(baseAt), ...op.i32Add, ...vop.load(0), ...op.set(base)],
    ...count(firstAt, FIRST),
    ...count(secondAt, SECOND),
  ];
  return {
    name: 'countPair',
    params: [I32, I32, I32, I32],
    locals: [[3, I32] as const, [2, V128] as const],
    body: [
      ...[...op.i32Const(0), ...op.set(i), ...op.block, ...op.loop],
      ...[...op.get(i), ...op.get(n), ...op.i32GeU, ...op.brIf(1)],
      ...step,
      ...[...op.get(i), ...op.i32Const(4), ...op.i32Add, ...op.set(i), ...op.br(0), ...op.end, ...op.end],
    ],
  };
}

const countKernel = perMemory(wasmModule(PAGES, [countPair()]), (exports, memory: WasmMemory) => ({
  memory: memory.buffer,
  countPair: exports.countPair as (n: number, firstAt: number, secondAt: number, baseAt: number) => void,
  histograms: [FIRST, SECOND].map((at) => new Int32Array(memory.buffer, at, 2 * BUCKETS)),
  copies: [0, 1, 2].map((k) => new Float32Array(memory.buffer, COPIES + 4 * B * k, B)),
}));
type CountKernel = ReturnType<typeof countKernel>;

/**
 * Adds to firstLanes[b] and secondLanes[b] (b < 2^15) the counts of bucket b of |first[i] − base[i]| and
 * |second[i] − base[i]| for i in [start, stop), and returns stop: `end` rounded down to a multiple of 4
 * from start, or start when the range is too short to be worth it (the caller counts the rest).
 */
export function countDeltaPairSimd(
  first: Float32Array,
  second: Float32Array,
  base: Float32Array,
  start: number,
  end: number,
  firstLanes: Int32Array,
  secondLanes: Int32Array,
): number {
  if (end - start < MIN_COUNTED) return start;
  const stop = start + ((end - start) & ~3);
  const kernel = countKernel(memoryHolding([base, first, second]));
  const [firstCopy, secondCopy, baseCopy] = kernel.copies;
  for (let at = start; at < stop; at += B) {
    const n = Math.min(B, stop - at);
    kernel.countPair(
      n,
      address(kernel, firstCopy, first, at, n),
      address(kernel, secondCopy, second, at, n),
      address(kernel, baseCopy, base, at, n),
    );
  }
  addInto(firstLanes, kernel.histograms[0]);
  addInto(secondLanes, kernel.histograms[1]);
  return stop;
}

/** The address in the kernel's memory of from[start, start + n): in place, or of a copy in `scratch`. */
function address(
  kernel: CountKernel,
  scratch: Float32Array,
  from: Float32Array,
  start: number,
  n: number,
): number {
  if (from.buffer === kernel.memory) return from.byteOffset + 4 * start;
  scratch.set(from.subarray(start, start + n));
  return scratch.byteOffset;
}

/** lanes[b] += both histograms' bucket b; the histograms are zeroed for the next call. */
function addInto(lanes: Int32Array, histograms: Int32Array): void {
  for (let b = 0; b < BUCKETS; b++) lanes[b] += histograms[b] + histograms[BUCKETS + b];
  histograms.fill(0);
}
