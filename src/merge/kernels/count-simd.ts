/**
 * WebAssembly SIMD kernel of Ties' counting pass: for two tasks at once, the histograms of the high 16
 * bits of |τ| (τ = float32(array − base), never stored), four differences per instruction, the base read
 * once for both; the count of |τ| at or above a bit pattern, and the fine counts of two buckets (for
 * Ties' sampled band, ties-sample.ts). The counts go to histograms in the kernel's memory (two per task, alternating lanes, so
 * that consecutive equal buckets do not wait on each other) and are added to the caller's after each
 * call. Inputs are read in place when they lie in the kernel's memory (the merge driver's ring), else
 * copied a block at a time into its scratch.
 */
import { COUNT_SCRATCH, memoryHolding, perMemory, RING_START, type WasmMemory } from './kernel-memory.js';
import { forLoop, I32, op, V128, vop, wasmModule } from './wasm-builder.js';

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

/** countAtLeast(n, arrayAt, baseAt, bits) → how many of entries [0, n) (n % 4 = 0) have |τ| bits ≥ bits. */
function countAtLeast() {
  const [n, arrayAt, baseAt, bits, i, at, threshold, total] = [0, 1, 2, 3, 4, 5, 6, 7];
  const step = [
    ...[...op.get(i), ...op.i32Const(2), ...op.i32Shl, ...op.set(at)],
    ...[...op.get(total), ...op.get(at), ...op.get(arrayAt), ...op.i32Add, ...vop.load(0)],
    ...[...op.get(at), ...op.get(baseAt), ...op.i32Add, ...vop.load(0), ...vop.f32x4Sub],
    ...[...vop.i32x4Const(0x7fffffff), ...vop.and, ...op.get(threshold), ...vop.i32x4GeS],
    ...[...vop.i32x4Sub, ...op.set(total)],
  ];
  const lane = (k: number) => [...op.get(total), ...vop.i32x4ExtractLane(k)];
  return {
    name: 'countAtLeast',
    params: [I32, I32, I32, I32],
    results: [I32],
    locals: [[2, I32] as const, [2, V128] as const],
    body: [
      ...[...op.get(bits), ...vop.i32x4Splat, ...op.set(threshold), ...vop.i32x4Const(0), ...op.set(total)],
      ...forLoop(i, n, 4, step),
      ...[...lane(0), ...lane(1), ...op.i32Add, ...lane(2), ...op.i32Add, ...lane(3), ...op.i32Add],
    ],
  };
}

/**
 * countBuckets(n, arrayAt, baseAt, first, second): counts the |τ| of entries [0, n) (n % 4 = 0) whose
 * high 16 bits are `first` by their low 16 bits in FIRST's 65536 i32, and those in bucket `second` in
 * SECOND's (the two histograms of countPair, each read as one of 65536).
 */
function countBuckets() {
  const [n, arrayAt, baseAt, first, second, i, at, bits, magnitudes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const countIf = (bucket: number, histogram: number) => [
    ...[...op.get(bits), ...op.i32Const(16), ...op.i32ShrU, ...op.get(bucket), ...op.i32Eq, ...op.if],
    ...[
      ...op.get(bits),
      ...op.i32Const(0xffff),
      ...op.i32And,
      ...op.i32Const(2),
      ...op.i32Shl,
      ...op.set(at),
    ],
    ...[...op.get(at), ...op.get(at), ...op.i32Load(histogram), ...op.i32Const(1), ...op.i32Add],
    ...[...op.i32Store(histogram), ...op.end],
  ];
  const step = [
    ...[...op.get(i), ...op.i32Const(2), ...op.i32Shl, ...op.set(at)],
    ...[...op.get(at), ...op.get(arrayAt), ...op.i32Add, ...vop.load(0)],
    ...[...op.get(at), ...op.get(baseAt), ...op.i32Add, ...vop.load(0), ...vop.f32x4Sub],
    ...[...vop.i32x4Const(0x7fffffff), ...vop.and, ...op.set(magnitudes)],
    ...[0, 1, 2, 3].flatMap((lane) => [
      ...[...op.get(magnitudes), ...vop.i32x4ExtractLane(lane), ...op.set(bits)],
      ...countIf(first, FIRST),
      ...countIf(second, SECOND),
    ]),
  ];
  return {
    name: 'countBuckets',
    params: [I32, I32, I32, I32, I32],
    locals: [[3, I32] as const, [1, V128] as const],
    body: forLoop(i, n, 4, step),
  };
}

const countKernel = perMemory(
  wasmModule(PAGES, [countPair(), countAtLeast(), countBuckets()]),
  (exports, memory: WasmMemory) => ({
    memory: memory.buffer,
    countPair: exports.countPair as (n: number, firstAt: number, secondAt: number, baseAt: number) => void,
    countAtLeast: exports.countAtLeast as (
      n: number,
      arrayAt: number,
      baseAt: number,
      bits: number,
    ) => number,
    countBuckets: exports.countBuckets as (
      n: number,
      arrayAt: number,
      baseAt: number,
      first: number,
      second: number,
    ) => void,
    histograms: [FIRST, SECOND].map((at) => new Int32Array(memory.buffer, at, 2 * BUCKETS)),
    copies: [0, 1, 2].map((k) => new Float32Array(memory.buffer, COPIES + 4 * B * k, B)),
  }),
);
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
  forEachBlock(kernel, [first, second, base], start, stop, (n, [firstAt, secondAt, baseAt]) =>
    kernel.countPair(n, firstAt, secondAt, baseAt),
  );
  addInto(firstLanes, kernel.histograms[0]);
  addInto(secondLanes, kernel.histograms[1]);
  return stop;
}

/** How many i in [start, end) have |float32(array[i] − base[i])| with bit patterns ≥ `bits`. */
export function countDeltaAtLeast(
  array: Float32Array,
  base: Float32Array,
  start: number,
  end: number,
  bits: number,
): number {
  const stop = start + ((end - start) & ~3);
  const kernel = countKernel(memoryHolding([base, array]));
  let count = 0;
  forEachBlock(kernel, [array, base], start, stop, (n, [arrayAt, baseAt]) => {
    count += kernel.countAtLeast(n, arrayAt, baseAt, bits);
  });
  for (let i = stop; i < end; i++) {
    tau[0] = array[i] - base[i];
    if ((tauBits[0] & 0x7fffffff) >= bits) count++;
  }
  return count;
}

/**
 * The counts of |float32(array[i] − base[i])| for i in [start, end) in buckets `first` and `second`
 * (high 16 bits), by their low 16 bits: two arrays of 65536 (both count when the buckets are equal).
 */
export function countDeltaBuckets(
  array: Float32Array,
  base: Float32Array,
  start: number,
  end: number,
  first: number,
  second: number,
): [Int32Array, Int32Array] {
  const stop = start + ((end - start) & ~3);
  const kernel = countKernel(memoryHolding([base, array]));
  forEachBlock(kernel, [array, base], start, stop, (n, [arrayAt, baseAt]) =>
    kernel.countBuckets(n, arrayAt, baseAt, first, second),
  );
  const counts: [Int32Array, Int32Array] = [kernel.histograms[0].slice(), kernel.histograms[1].slice()];
  for (const histogram of kernel.histograms) histogram.fill(0);
  for (let i = stop; i < end; i++) {
    tau[0] = array[i] - base[i];
    const magnitude = tauBits[0] & 0x7fffffff;
    if (magnitude >>> 16 === first) counts[0][magnitude & 0xffff]++;
    if (magnitude >>> 16 === second) counts[1][magnitude & 0xffff]++;
  }
  return counts;
}

const tau = new Float32Array(1);
const tauBits = new Int32Array(tau.buffer);

/**
 * Runs `step` on each block of at most B entries of [start, stop) with the address of every array's
 * block in the kernel's memory (in place, or copied into the kernel's scratch, one copy per array).
 */
function forEachBlock(
  kernel: CountKernel,
  arrays: readonly Float32Array[],
  start: number,
  stop: number,
  step: (n: number, addresses: number[]) => void,
): void {
  for (let at = start; at < stop; at += B) {
    const n = Math.min(B, stop - at);
    step(
      n,
      arrays.map((array, k) => address(kernel, kernel.copies[k], array, at, n)),
    );
  }
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
