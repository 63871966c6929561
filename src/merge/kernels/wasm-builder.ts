/**
 * Just enough of the WebAssembly binary format to emit one module by hand: an imported shared memory and
 * exported functions whose bodies are byte arrays written with the opcode helpers below (no wat
 * assembler is available offline). Opcodes are those of the WebAssembly 2.0 core spec (SIMD included).
 */

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (text: string): number[] => vector([...Buffer.from(text, 'utf8')].map((b) => [b]));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Core instructions used by the kernels. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  /** if without a result: the instructions up to `end` (or `else`) run when the i32 popped is nonzero. */
  if: [0x04, 0x40],
  else: [0x05],
  call: (index: number) => [0x10, ...uleb(index)],
  return: [0x0f],
  /** Pops c, b, a: a when c is nonzero, else b. */
  select: [0x1b],
  i32Const: (value: number) => [0x41, ...sleb(value)],
  f64Const: (value: number) => [0x44, ...new Uint8Array(Float64Array.of(value).buffer)],
  i32Load: (offset: number) => [0x28, 2, ...uleb(offset)],
  f32Load: (offset: number) => [0x2a, 2, ...uleb(offset)],
  f64Load: (offset: number) => [0x2b, 3, ...uleb(offset)],
  i32Store: (offset: number) => [0x36, 2, ...uleb(offset)],
  f32Store: (offset: number) => [0x38, 2, ...uleb(offset)],
  f64Store: (offset: number) => [0x39, 3, ...uleb(offset)],
  i32Eqz: [0x45],
  i32Eq: [0x46],
  i32Ne: [0x47],
  i32LtS: [0x48],
  i32GtS: [0x4a],
  i32GtU: [0x4b],
  i32GeS: [0x4e],
  i32GeU: [0x4f],
  f64Eq: [0x61],
  f64Lt: [0x63],
  f64Gt: [0x64],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32And: [0x71],
  i32Or: [0x72],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  f32Sub: [0x93],
  f64Neg: [0x9a],
  f64Add: [0xa0],
  f64Mul: [0xa2],
  f64Div: [0xa3],
  f32DemoteF64: [0xb6],
  i32ReinterpretF32: [0xbc],
  f64ConvertI32S: [0xb7],
  f64PromoteF32: [0xbb],
  f32ReinterpretI32: [0xbe],
  /** memory.copy: pops destination, source, length (bytes). */
  memoryCopy: [0xfc, 0x0a, 0x00, 0x00],
};

const simd = (code: number, ...immediates: number[]) => [0xfd, ...uleb(code), ...immediates];

/** SIMD instructions used by the kernels (memory offsets are byte offsets added to the address). */
export const vop = {
  load: (offset: number) => simd(0x00, 4, ...uleb(offset)),
  store: (offset: number) => simd(0x0b, 4, ...uleb(offset)),
  i32x4Const: (value: number) => simd(0x0c, ...new Array(4).fill(int32Bytes(value)).flat()),
  shuffle: (lanes: readonly number[]) => simd(0x0d, ...lanes),
  i32x4Splat: simd(0x11),
  f64x2Splat: simd(0x14),
  i32x4ExtractLane: (lane: number) => simd(0x1b, lane),
  i32x4Eq: simd(0x37),
  i32x4Ne: simd(0x38),
  i32x4GeS: simd(0x3f),
  f64x2Eq: simd(0x47),
  f64x2Lt: simd(0x49),
  f64x2Gt: simd(0x4a),
  and: simd(0x4e),
  andNot: simd(0x4f),
  or: simd(0x50),
  bitselect: simd(0x52),
  anyTrue: simd(0x53),
  f32x4DemoteF64x2Zero: simd(0x5e),
  f64x2PromoteLowF32x4: simd(0x5f),
  i32x4ShrS: simd(0xac),
  i32x4ShrU: simd(0xad),
  i32x4Add: simd(0xae),
  i32x4Sub: simd(0xb1),
  i32x4MaxS: simd(0xb8),
  f32x4Sub: simd(0xe5),
  i64x2Eq: simd(0xd6),
  f64x2Add: simd(0xf0),
  f64x2Mul: simd(0xf2),
};

/** The 4 little-endian bytes of an int32. */
function int32Bytes(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** for (counter = 0; counter < limit; counter += step) inner */
export function forLoop(counter: number, limit: number, step: number, inner: number[]): number[] {
  return [
    ...[...op.i32Const(0), ...op.set(counter), ...op.block, ...op.loop],
    ...[...op.get(counter), ...op.get(limit), ...op.i32GeU, ...op.brIf(1)],
    ...inner,
    ...[...op.get(counter), ...op.i32Const(step), ...op.i32Add, ...op.set(counter), ...op.br(0)],
    ...[...op.end, ...op.end],
  ];
}

export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly results?: readonly number[];
  /** Extra locals, as [count, type] runs. */
  readonly locals: readonly (readonly [number, number])[];
  readonly body: readonly number[];
}

/** Pages of the largest memory a module may import (4 GiB, the most 32-bit addresses reach). */
const MAX_PAGES = 65536;

/**
 * A module importing `env.memory`, a shared memory of at least `pages` pages of 64 KiB (shared, so that
 * its buffer is a SharedArrayBuffer a worker can write into), and exporting `functions`.
 */
export function wasmModule(pages: number, functions: readonly WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [
    0x60,
    ...vector(f.params.map((p) => [p])),
    ...vector((f.results ?? []).map((r) => [r])),
  ]);
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(pages), ...uleb(MAX_PAGES)];
  const exports = functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const bodies = functions.map((f) => {
    const body = [...vector(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, ...op.end];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}
