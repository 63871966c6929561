import { describe, expect, it } from 'vitest';
import { convertTensor, toFloat32 } from '../../src/tensor/convert.js';
import {
  bf16ArrayToF32,
  bf16BitsToF32,
  f16ArrayToF32,
  f16BitsToF32,
  f32ArrayToBf16,
  f32ArrayToF16,
  f32ToBf16Bits,
  f32ToF16Bits,
} from '../../src/tensor/f16.js';

/** A float32 value from its bit pattern. */
function fromBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

describe('F16', () => {
  it('encodes known values', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff], // largest finite
      [65519, 0x7bff], // just under the midpoint to 65536
      [65520, 0x7c00], // the midpoint ties to even, which is Inf
      [2 ** -14, 0x0400], // smallest normal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // half the smallest subnormal ties to even (zero)
      [fromBits(0x33000001), 0x0001], // just above that half rounds up
      [3 * 2 ** -25, 0x0002], // subnormal tie to even
      [1 + 2 ** -11, 0x3c00], // normal tie to even (down)
      [1 + 3 * 2 ** -11, 0x3c02], // normal tie to even (up)
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
      [1e10, 0x7c00],
      [-1e-10, 0x8000],
    ];
    for (const [value, bits] of cases) expect([value, f32ToF16Bits(value)]).toEqual([value, bits]);
  });

  it('decodes known values', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x83ff)).toBe(-1023 * 2 ** -24);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(f16BitsToF32(0xfd01)).toBeNaN();
  });

  it('round-trips every one of the 65536 patterns (NaN stays NaN)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ArrayToF16(f16ArrayToF32(all));
    for (let b = 0; b < 65536; b++) {
      const nanPattern = (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
      if (nanPattern) expect((back[b] & 0x7c00) === 0x7c00 && (back[b] & 0x3ff) !== 0).toBe(true);
      else if (back[b] !== b) expect(back[b]).toBe(b);
    }
  });

  it('rounds random float32 values to the nearest F16, ties to even', () => {
    let seed = 12345;
    const bits = new Uint32Array(20000).map(() => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      // exponents around the F16 range (2^-27 .. 2^17), random mantissa and sign
      return ((seed & 1) << 31) | ((100 + ((seed >>> 1) % 45)) << 23) | (Math.imul(seed, 2654435761) >>> 9);
    });
    const values = new Float32Array(bits.buffer);
    const encoded = f32ArrayToF16(values);
    const magnitude = (h: number) => ((h & 0x7fff) === 0x7c00 ? 65536 : Math.abs(f16BitsToF32(h))); // Inf rounds as 2^16
    const failures: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const x = Math.abs(values[i]);
      const h = encoded[i];
      const hErr = Math.abs(magnitude(h) - x);
      for (const n of [(h & 0x7fff) - 1, (h & 0x7fff) + 1]) {
        if (n < 0 || n > 0x7c00) continue;
        const nErr = Math.abs(magnitude(n) - x);
        if (nErr < hErr || (nErr === hErr && (h & 1) === 1)) failures.push(values[i]);
      }
      if ((h & 0x8000) !== (bits[i] >>> 31) << 15) failures.push(values[i]);
    }
    expect(failures).toEqual([]);
  });
});

describe('BF16', () => {
  it('encodes known values with ties to even', () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(-2)).toBe(0xc000);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, down to even
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, up to even
    expect(f32ToBf16Bits(fromBits(0x3f808001))).toBe(0x3f81); // above the tie
    expect(f32ToBf16Bits(fromBits(0x7f7fffff))).toBe(0x7f80); // largest float32 rounds to Inf
    expect(f32ToBf16Bits(fromBits(0x00000001))).toBe(0x0000); // float32 subnormal rounds to 0
    expect(f32ToBf16Bits(fromBits(0x00018000))).toBe(0x0002); // subnormal tie to even
    expect(f32ToBf16Bits(Number.NEGATIVE_INFINITY)).toBe(0xff80);
    expect(bf16BitsToF32(f32ToBf16Bits(Number.NaN))).toBeNaN();
    expect(bf16BitsToF32(f32ToBf16Bits(fromBits(0x7f800001)))).toBeNaN(); // payload only in low bits
  });

  it('array conversions agree with the scalar ones and round-trip all patterns', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = bf16ArrayToF32(all);
    for (let b = 0; b < 65536; b += 97)
      expect(Object.is(f[b], bf16BitsToF32(b)) || Number.isNaN(f[b])).toBe(true);
    const back = f32ArrayToBf16(f);
    for (let b = 0; b < 65536; b++) {
      if (Number.isNaN(f[b])) expect(Number.isNaN(bf16BitsToF32(back[b]))).toBe(true);
      else if (back[b] !== b) expect(back[b]).toBe(b);
    }
    const values = Float32Array.from([0.1, -3.3, 1e30, 5e-39]);
    expect([...f32ArrayToBf16(values)]).toEqual([...values].map(f32ToBf16Bits));
  });
});

describe('convertTensor / toFloat32', () => {
  it('converts between float dtypes and from integers', () => {
    const t = { dtype: 'F32' as const, shape: [3], data: Float32Array.from([1, 0.1, -65520]) };
    const h = convertTensor(t, 'F16');
    expect(h.dtype).toBe('F16');
    expect([...(h.data as Uint16Array)]).toEqual([0x3c00, 0x2e66, 0xfc00]);
    expect([...toFloat32(h)]).toEqual([1, f16BitsToF32(0x2e66), Number.NEGATIVE_INFINITY]);
    expect(convertTensor(t, 'F32')).toBe(t);
    expect([...(convertTensor(t, 'F64').data as Float64Array)]).toEqual([...t.data]);
    const ints = { dtype: 'I64' as const, shape: [2], data: BigInt64Array.from([-3n, 1n << 40n]) };
    expect([...toFloat32(ints)]).toEqual([-3, 2 ** 40]);
    const bools = { dtype: 'BOOL' as const, shape: [2], data: Uint8Array.from([1, 0]) };
    expect([...toFloat32(bools)]).toEqual([1, 0]);
    expect(() => convertTensor(t, 'I32')).toThrow(/cannot convert F32 to I32/);
  });
});
