/**
 * WebAssembly SIMD kernels of task arithmetic and the weight average: per entry, the float64 sum of the
 * experts (or task vectors) in task order, starting at +0, then float32(θ0 + λ·(sum − count·θ0)),
 * float32(θ0 + λ·sum) or float32(sum / count), with the same IEEE operations in the same order as the
 * scalar definitions, so the results are identical. The float32 results are checked for NaN/Inf in the
 * same sweep.
 *
 * The kernel reads a tensor in place when it lies in the memory the kernel runs in (the merge driver's
 * read-ahead ring, see kernel-memory.ts), a block at a time by address; other tensors, and a block whose
 * length is not a multiple of 4 (the lanes past its end would be read), are copied into the kernel's
 * scratch first. The memories never grow, so the views below stay valid.
 */
import { memoryHolding, perMemory, SUM_SCRATCH, TIES_SCRATCH, type WasmMemory } from './kernel-memory.js';
import { F64, forLoop, I32, op, uleb, V128, vop, wasmModule } from './wasm-builder.js';

/** Entries per block. */
const B = 2048;
/** Experts added per call of `accumulate`. */
const TASKS_PER_CALL = 8;

const SUM = SUM_SCRATCH; // f64 × B
const INPUTS = SUM + 8 * B; // f32 × B per expert, for copies
const THETA = INPUTS + TASKS_PER_CALL * 4 * B; // f32 × B, for a copy
const OUT = THETA + 4 * B; // f32 × B
const ADDRESSES = OUT + 4 * B; // i32 × TASKS_PER_CALL: where each expert's block lies
const END = ADDRESSES + 4 * TASKS_PER_CALL;
if (END > TIES_SCRATCH) throw new RangeError('sum kernel: scratch overlaps the next region');
const PAGES = Math.ceil(END / 65536);

/** Opcodes the shared builder does not list (WebAssembly 2.0 core spec numbering). */
const simd = (code: number) => [0xfd, ...uleb(code)];
const f32x4Eq = simd(0x41);
const i32x4AllTrue = simd(0xa3);
const f32x4Add = simd(0xe4);
const f64x2Sub = simd(0xf1);
const f64x2Div = simd(0xf3);

const HIGH_LANES = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** The two float32 lanes of each of two demoted vectors, side by side. */
const JOIN_LOWS = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * accumulate(n, tasks): SUM[j] += float64(f32 at ADDRESSES[t] + 4j) for t = 0 … tasks − 1 in order, j < n
 * (n % 4 = 0); with `fresh` (accumulateFresh, a block's first call), the sums start at +0 instead.
 */
function accumulate(fresh: boolean) {
  const [n, tasks, i, t, at4, at8, low, high, x] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const taskStep = [
    ...[
      ...op.get(at4),
      ...op.get(t),
      ...op.i32Const(2),
      ...op.i32Shl,
      ...op.i32Load(ADDRESSES),
      ...op.i32Add,
    ],
    ...[...vop.load(0), ...op.set(x)],
    ...[...op.get(low), ...op.get(x), ...vop.f64x2PromoteLowF32x4, ...vop.f64x2Add, ...op.set(low)],
    ...[...op.get(high), ...op.get(x), ...op.get(x), ...vop.shuffle(HIGH_LANES)],
    ...[...vop.f64x2PromoteLowF32x4, ...vop.f64x2Add, ...op.set(high)],
  ];
  const entryStep = [
    ...[...op.get(i), ...op.i32Const(2), ...op.i32Shl, ...op.set(at4)],
    ...[...op.get(i), ...op.i32Const(3), ...op.i32Shl, ...op.set(at8)],
    ...(fresh
      ? [...vop.i32x4Const(0), ...op.set(low), ...vop.i32x4Const(0), ...op.set(high)]
      : [
          ...op.get(at8),
          ...vop.load(SUM),
          ...op.set(low),
          ...op.get(at8),
          ...vop.load(SUM + 16),
          ...op.set(high),
        ]),
    ...forLoop(t, tasks, 1, taskStep),
    ...[
      ...op.get(at8),
      ...op.get(low),
      ...vop.store(SUM),
      ...op.get(at8),
      ...op.get(high),
      ...vop.store(SUM + 16),
    ],
  ];
  return {
    name: fresh ? 'accumulateFresh' : 'accumulate',
    params: [I32, I32],
    locals: [[4, I32] as const, [3, V128] as const],
    body: forLoop(i, n, 4, entryStep),
  };
}

// finish's params n, count, lambda, thetaAt, then its locals.
const [N, COUNT, LAMBDA, THETA_AT, I, AT4, AT8] = [0, 1, 2, 3, 4, 5, 6];
const [THETA4, THETA_HALF, SUM_HALF, LOW, PROBE, RESULT, COUNTS, LAMBDAS] = [7, 8, 9, 10, 11, 12, 13, 14];

/** θ0 + λ·(sum − count·θ0) on two entries. */
const taskArithmeticStep = [
  ...[...op.get(THETA_HALF), ...op.get(LAMBDAS), ...op.get(SUM_HALF)],
  ...[
    ...op.get(COUNTS),
    ...op.get(THETA_HALF),
    ...vop.f64x2Mul,
    ...f64x2Sub,
    ...vop.f64x2Mul,
    ...vop.f64x2Add,
  ],
];
/** θ0 + λ·sum on two entries. */
const scaledSumStep = [
  ...[...op.get(THETA_HALF), ...op.get(LAMBDAS), ...op.get(SUM_HALF), ...vop.f64x2Mul, ...vop.f64x2Add],
];
/** sum / count on two entries. */
const meanStep = [...op.get(SUM_HALF), ...op.get(COUNTS), ...f64x2Div];

/**
 * finish(n, count, lambda, thetaAt): OUT[j] = float32(`combine` of SUM[j] and θ0[j], the f32 at
 * thetaAt + 4j) for j < n, two entries at a time in float64; returns 1 when every result is finite
 * (v − v is 0 exactly then, and NaN sticks).
 */
function finish(name: string, combine: number[]) {
  const half = (sumOffset: number, thetaLanes: number[]) => [
    ...[...op.get(THETA4), ...thetaLanes, ...vop.f64x2PromoteLowF32x4, ...op.set(THETA_HALF)],
    ...[...op.get(AT8), ...vop.load(sumOffset), ...op.set(SUM_HALF)],
    ...combine,
    ...vop.f32x4DemoteF64x2Zero,
  ];
  const entryStep = [
    ...[...op.get(I), ...op.i32Const(2), ...op.i32Shl, ...op.set(AT4)],
    ...[...op.get(I), ...op.i32Const(3), ...op.i32Shl, ...op.set(AT8)],
    ...[...op.get(AT4), ...op.get(THETA_AT), ...op.i32Add, ...vop.load(0), ...op.set(THETA4)],
    ...[...half(SUM, []), ...op.set(LOW)],
    ...[...op.get(LOW), ...half(SUM + 16, [...op.get(THETA4), ...vop.shuffle(HIGH_LANES)])],
    ...[...vop.shuffle(JOIN_LOWS), ...op.set(RESULT)],
    ...[...op.get(AT4), ...op.get(RESULT), ...vop.store(OUT)],
    ...[
      ...op.get(PROBE),
      ...op.get(RESULT),
      ...op.get(RESULT),
      ...vop.f32x4Sub,
      ...f32x4Add,
      ...op.set(PROBE),
    ],
  ];
  return {
    name,
    params: [I32, F64, F64, I32],
    results: [I32],
    locals: [[3, I32] as const, [8, V128] as const],
    body: [
      ...[...op.get(COUNT), ...vop.f64x2Splat, ...op.set(COUNTS)],
      ...[...op.get(LAMBDA), ...vop.f64x2Splat, ...op.set(LAMBDAS)],
      ...[...vop.i32x4Const(0), ...op.set(PROBE)],
      ...forLoop(I, N, 4, entryStep),
      ...[...op.get(PROBE), ...op.get(PROBE), ...f32x4Eq, ...i32x4AllTrue],
    ],
  };
}

type Finish = (n: number, count: number, lambda: number, thetaAt: number) => number;

/** The kernel's functions in one memory, and views of its scratch there. */
const sumKernel = perMemory(
  wasmModule(PAGES, [
    accumulate(false),
    accumulate(true),
    finish('taskArithmetic', taskArithmeticStep),
    finish('scaledSum', scaledSumStep),
    finish('mean', meanStep),
  ]),
  (exports, memory: WasmMemory) => ({
    memory: memory.buffer,
    accumulate: exports.accumulate as (n: number, tasks: number) => void,
    accumulateFresh: exports.accumulateFresh as (n: number, tasks: number) => void,
    taskArithmetic: exports.taskArithmetic as Finish,
    scaledSum: exports.scaledSum as Finish,
    mean: exports.mean as Finish,
    sums: new Float64Array(memory.buffer, SUM, B),
    inputs: Array.from(
      { length: TASKS_PER_CALL },
      (_, k) => new Float32Array(memory.buffer, INPUTS + 4 * B * k, B),
    ),
    theta: new Float32Array(memory.buffer, THETA, B),
    addresses: new Int32Array(memory.buffer, ADDRESSES, TASKS_PER_CALL),
    results: new Float32Array(memory.buffer, OUT, B),
  }),
);
type SumKernel = ReturnType<typeof sumKernel>;

/**
 * out = float32(θ0 + λ·(Σt θt − count·θ0)), the sum in float64 in task order; false when some result is
 * NaN or ±Inf.
 */
export function taskArithmeticInto(
  out: Float32Array,
  pretrained: Float32Array,
  experts: readonly Float32Array[],
  lambda: number,
): boolean {
  const kernel = sumKernel(memoryHolding([pretrained, ...experts]));
  return sweep(kernel, out, experts, (start, n) =>
    kernel.taskArithmetic(
      roundUp4(n),
      experts.length,
      lambda,
      address(kernel, kernel.theta, pretrained, start, n),
    ),
  );
}

/** out = float32(θ0 + λ·Σt τt), the sum in float64 in task order; false when some result is NaN or ±Inf. */
export function scaledSumInto(
  out: Float32Array,
  pretrained: Float32Array,
  taus: readonly Float32Array[],
  lambda: number,
): boolean {
  const kernel = sumKernel(memoryHolding([pretrained, ...taus]));
  return sweep(kernel, out, taus, (start, n) =>
    kernel.scaledSum(roundUp4(n), taus.length, lambda, address(kernel, kernel.theta, pretrained, start, n)),
  );
}

/** out = float32(Σt θt / count), the sum in float64 in task order; false when some result is NaN or ±Inf. */
export function meanInto(out: Float32Array, experts: readonly Float32Array[]): boolean {
  const kernel = sumKernel(memoryHolding(experts));
  return sweep(kernel, out, experts, (_, n) => kernel.mean(roundUp4(n), experts.length, 0, THETA));
}

/** Block by block: the experts' sums, then `finishBlock` (1 when its results are finite), copied to `out`. */
function sweep(
  kernel: SumKernel,
  out: Float32Array,
  experts: readonly Float32Array[],
  finishBlock: (start: number, n: number) => number,
): boolean {
  const { sums, inputs, addresses, results } = kernel;
  let finite = true;
  for (let start = 0; start < out.length; start += B) {
    const n = Math.min(B, out.length - start);
    if (experts.length === 0) sums.fill(0, 0, roundUp4(n)); // else the first accumulate starts at +0
    for (let first = 0; first < experts.length; first += TASKS_PER_CALL) {
      const count = Math.min(TASKS_PER_CALL, experts.length - first);
      for (let k = 0; k < count; k++) addresses[k] = address(kernel, inputs[k], experts[first + k], start, n);
      (first === 0 ? kernel.accumulateFresh : kernel.accumulate)(roundUp4(n), count);
    }
    if (finishBlock(start, n) !== 1) finite = false;
    out.set(n === B ? results : results.subarray(0, n), start);
  }
  return finite;
}

/**
 * The address in the kernel's memory of from[start, start + n): in place when `from` lies there and n is
 * a multiple of 4, else of a padded copy in `scratch`.
 */
function address(
  kernel: SumKernel,
  scratch: Float32Array,
  from: Float32Array,
  start: number,
  n: number,
): number {
  if (from.buffer === kernel.memory && (n & 3) === 0) return from.byteOffset + 4 * start;
  loadPadded(scratch, from, start, n);
  return scratch.byteOffset;
}

/** into[0, n) = from[start, start + n), zeros up to a multiple of 4 (the lanes past n are ignored). */
function loadPadded(into: Float32Array, from: Float32Array, start: number, n: number): void {
  into.set(from.subarray(start, start + n));
  into.fill(0, n, roundUp4(n));
}

function roundUp4(n: number): number {
  return (n + 3) & ~3;
}
