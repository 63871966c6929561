/**
 * IEEE half precision (F16) and bfloat16 (BF16) <-> float32, bit-exact: round to nearest, ties to even;
 * subnormals, infinities and NaN kept (NaN stays NaN, quiet, with as much payload as fits).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → F16 bit pattern. */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  const e = exponent - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e >= 1) {
    const half = sign | (e << 10) | (mantissa >>> 13);
    const rest = mantissa & 0x1fff;
    // A carry out of the mantissa correctly bumps the exponent (up to Inf).
    return rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half;
  }
  if (e < -10) return sign; // below half the smallest subnormal (2^-25): signed zero
  const shift = 14 - e; // 14..24: the value in units of 2^-24 is (1.mantissa) >> shift
  const full = mantissa | 0x800000;
  const half = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const midpoint = 1 << (shift - 1);
  return sign | (rest > midpoint || (rest === midpoint && (half & 1) === 1) ? half + 1 : half);
}

/** F16 bit pattern → float32 value. */
export function f16BitsToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) {
    if (mantissa === 0) return sign * Number.POSITIVE_INFINITY;
    u32[0] = ((bits & 0x8000) << 16) | 0x7f800000 | (mantissa << 13);
    return f32[0];
  }
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** float32 → BF16 bit pattern. */
export function f32ToBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** BF16 bit pattern → float32 value. */
export function bf16BitsToF32(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

let f16Table: Float32Array | undefined;

/** All 65536 F16 values as float32: decoding a tensor is then one lookup per element. */
function f16DecodeTable(): Float32Array {
  if (f16Table === undefined) {
    f16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) f16Table[bits] = f16BitsToF32(bits);
  }
  return f16Table;
}

export function f16ArrayToF32(bits: Uint16Array): Float32Array {
  const table = f16DecodeTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

export function f32ArrayToF16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return out;
}

export function bf16ArrayToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const view = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) view[i] = bits[i] << 16;
  return out;
}

export function f32ArrayToBf16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const view = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const x = view[i];
    out[i] =
      (x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0
        ? (x >>> 16) | 0x40
        : ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}
