/**
 * The Ties entry kernel over records (the provisional entries of the global merge pass, each 1 + T words:
 * its index, then its τ per task), one record at a time, in scalar WebAssembly:
 *
 * records(at, count, tasks, mode, λ, tie, valuesAt, write) → Σ sign(total) over the records, the kept τ
 * being those whose magnitude bits are at least the task's exact threshold bits in SPAN_HIGHS. With
 * `write`, also values[index] = float32(values[index] + λ·merged) (values[index] holds θ0), the merged
 * value that of the total's sign, or of `tie` (1 or −1) where the total is 0; mode 0 sum, 1 mean, 2 max.
 *
 * The same IEEE operations in the same order as the SIMD kernel (ties-simd-code.ts), so the results are
 * identical: it adds a kept τ to the sum of its sign (by its sign bit) and to the total, in task order,
 * all from +0; it skips the +0 the SIMD kernel adds for trimmed values and for the other sign, as adding
 * +0 changes no sum that starts at +0 (none is ever −0).
 */
import type { TiesLayout } from './ties-layout.js';
import { F64, forLoop, I32, op, V128, vop, type WasmFunction } from './wasm-builder.js';

const [at, count, tasks, mode, lambda, tie, valuesAt, write] = [0, 1, 2, 3, 4, 5, 6, 7];
const [
  r,
  rec,
  t,
  x,
  magnitude,
  positiveCount,
  negativeCount,
  positiveMax,
  negativeMax,
  votes,
  address,
  bytes,
] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
const [total, positive, negative, value, up, down] = [20, 21, 22, 23, 24, 25];

const add = (sum: number) => [...op.get(sum), ...op.get(value), ...op.f64Add, ...op.set(sum)];
const increment = (local: number) => [...op.get(local), ...op.i32Const(1), ...op.i32Add, ...op.set(local)];
const largest = (local: number) => [
  ...[...op.get(magnitude), ...op.get(local), ...op.get(magnitude), ...op.get(local), ...op.i32GtS],
  ...[...op.select, ...op.set(local)],
];
/** Counts and the largest magnitude of a sign, for a nonzero kept τ. */
const stats = (counter: number, max: number) => [
  ...[...op.get(magnitude), ...op.if, ...increment(counter), ...largest(max), ...op.end],
];

/** Task t of the record at `rec`: trim, then the sums (and stats) of the kept τ. */
function taskStep({ SPAN_HIGHS }: TiesLayout): number[] {
  return [
    ...[
      ...op.get(rec),
      ...op.get(t),
      ...op.i32Const(2),
      ...op.i32Shl,
      ...op.i32Add,
      ...op.i32Load(4),
      ...op.set(x),
    ],
    ...[...op.get(x), ...op.i32Const(0x7fffffff), ...op.i32And, ...op.set(magnitude)],
    ...[...op.get(magnitude), ...op.get(t), ...op.i32Const(2), ...op.i32Shl, ...op.i32Load(SPAN_HIGHS)],
    ...[...op.i32GeS, ...op.if],
    ...[...op.get(x), ...op.f32ReinterpretI32, ...op.f64PromoteF32, ...op.set(value), ...add(total)],
    ...[...op.get(x), ...op.i32Const(0), ...op.i32LtS, ...op.if],
    ...[...add(negative), ...stats(negativeCount, negativeMax)],
    ...[...op.else, ...add(positive), ...stats(positiveCount, positiveMax), ...op.end],
    ...op.end,
  ];
}

/** up, down = the merged value of each sign, by mode. */
function parts(): number[] {
  const atLeastOne = (local: number) => [
    ...[...op.get(local), ...op.i32Const(1), ...op.get(local), ...op.i32Const(1), ...op.i32GtS, ...op.select],
    ...op.f64ConvertI32S,
  ];
  const widen = (local: number) => [...op.get(local), ...op.f32ReinterpretI32, ...op.f64PromoteF32];
  const ifMode = (m: number, body: number[]) => [
    ...[...op.get(mode), ...op.i32Const(m), ...op.i32Sub, ...op.i32Eqz, ...op.if, ...body, ...op.end],
  ];
  return [
    ...[...op.get(positive), ...op.set(up), ...op.get(negative), ...op.set(down)],
    ...ifMode(1, [
      ...[...op.get(positive), ...atLeastOne(positiveCount), ...op.f64Div, ...op.set(up)],
      ...[...op.get(negative), ...atLeastOne(negativeCount), ...op.f64Div, ...op.set(down)],
    ]),
    ...ifMode(2, [
      ...widen(positiveMax),
      ...op.set(up),
      ...widen(negativeMax),
      ...op.f64Neg,
      ...op.set(down),
    ]),
  ];
}

/** values[index] = float32(θ0 + λ·(down where total < 0, or total = 0 and tie < 0; else up)). */
function writeValue(): number[] {
  const useDown = [
    ...[...op.get(total), ...op.f64Const(0), ...op.f64Lt],
    ...[...op.get(total), ...op.f64Const(0), ...op.f64Eq, ...op.get(tie), ...op.i32Const(0), ...op.i32LtS],
    ...[...op.i32And, ...op.i32Or],
  ];
  return [
    ...[...op.get(valuesAt), ...op.get(rec), ...op.i32Load(0), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add],
    ...op.set(address),
    ...[...op.get(address), ...op.get(address), ...op.f32Load(0), ...op.f64PromoteF32],
    ...[
      ...op.get(lambda),
      ...op.get(down),
      ...op.get(up),
      ...useDown,
      ...op.select,
      ...op.f64Mul,
      ...op.f64Add,
    ],
    ...[...op.f32DemoteF64, ...op.f32Store(0)],
  ];
}

function recordStep(L: TiesLayout): number[] {
  const zero = (local: number) => [...op.f64Const(0), ...op.set(local)];
  const clear = (local: number) => [...op.i32Const(0), ...op.set(local)];
  return [
    ...[...zero(total), ...zero(positive), ...zero(negative)],
    ...[...clear(positiveCount), ...clear(negativeCount), ...clear(positiveMax), ...clear(negativeMax)],
    ...forLoop(t, tasks, 1, taskStep(L)),
    ...parts(),
    ...[...op.get(votes), ...op.get(total), ...op.f64Const(0), ...op.f64Gt, ...op.i32Add],
    ...[...op.get(total), ...op.f64Const(0), ...op.f64Lt, ...op.i32Sub, ...op.set(votes)],
    ...[...op.get(write), ...op.if, ...writeValue(), ...op.end],
    ...[...op.get(rec), ...op.get(bytes), ...op.i32Add, ...op.set(rec)],
  ];
}

export function recordsFunction(L: TiesLayout): WasmFunction {
  return {
    name: 'records',
    params: [I32, I32, I32, I32, F64, I32, I32, I32],
    results: [I32],
    locals: [
      [12, I32],
      [6, F64],
    ],
    body: [
      ...[
        ...op.get(tasks),
        ...op.i32Const(2),
        ...op.i32Shl,
        ...op.i32Const(4),
        ...op.i32Add,
        ...op.set(bytes),
      ],
      ...[...op.get(at), ...op.set(rec)],
      ...forLoop(r, count, 1, recordStep(L)),
      ...op.get(votes),
    ],
  };
}

/** nonFinite(at, n) → 1 when one of the n float32 at `at` is NaN or ±Inf (all exponent bits set), else 0. */
export function nonFiniteFunction(): WasmFunction {
  const [from, n, i, end, any] = [0, 1, 2, 3, 4];
  const exponent = 0x7f800000;
  const lanes = [
    ...[...op.get(any), ...op.get(from), ...op.get(i), ...op.i32Add, ...vop.load(0)],
    ...[...vop.i32x4Const(exponent), ...vop.and, ...vop.i32x4Const(exponent), ...vop.i32x4Eq, ...vop.or],
    ...op.set(any),
  ];
  const tail = [
    ...[
      ...op.get(from),
      ...op.get(i),
      ...op.i32Add,
      ...op.i32Load(0),
      ...op.i32Const(exponent),
      ...op.i32And,
    ],
    ...[...op.i32Const(exponent), ...op.i32Eq, ...op.if, ...op.i32Const(1), ...op.return, ...op.end],
  ];
  return {
    name: 'nonFinite',
    params: [I32, I32],
    results: [I32],
    locals: [
      [2, I32],
      [1, V128],
    ],
    body: [
      ...[...op.get(n), ...op.i32Const(2), ...op.i32Shl, ...op.set(end)],
      ...[...op.get(end), ...op.i32Const(~15), ...op.i32And, ...op.set(n)],
      ...forLoop(i, n, 16, lanes),
      ...[...op.get(any), ...vop.anyTrue, ...op.if, ...op.i32Const(1), ...op.return, ...op.end],
      ...[...op.get(n), ...op.set(i), ...op.block, ...op.loop],
      ...[...op.get(i), ...op.get(end), ...op.i32GeU, ...op.brIf(1), ...tail],
      ...[...op.get(i), ...op.i32Const(4), ...op.i32Add, ...op.set(i), ...op.br(0), ...op.end, ...op.end],
      ...op.i32Const(0),
    ],
  };
}

/** touch(at, bytes): writes 0 to the first word of every 4 KiB page of [at, at + bytes) (see prefault). */
export function touchFunction(): WasmFunction {
  const [at, bytes, p] = [0, 1, 2];
  return {
    name: 'touch',
    params: [I32, I32],
    locals: [[1, I32]],
    body: forLoop(p, bytes, 4096, [
      ...op.get(at),
      ...op.get(p),
      ...op.i32Add,
      ...op.i32Const(0),
      ...op.i32Store(0),
    ]),
  };
}
