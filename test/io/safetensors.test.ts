import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WemoeError } from '../../src/errors.js';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { createSafetensorsWriter, saveSafetensors } from '../../src/io/safetensors-writer.js';
import { convertTensor } from '../../src/tensor/convert.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tempDir } from './helpers.js';

const dir = tempDir('safetensors');

const tensors: Record<string, Tensor> = {
  f32: {
    dtype: 'F32',
    shape: [2, 3],
    data: Float32Array.from([1, -2, 0.5, Number.NaN, Number.POSITIVE_INFINITY, -0]),
  },
  f16: { dtype: 'F16', shape: [4], data: Uint16Array.from([0x3c00, 0x0001, 0x7c00, 0x7e00]) },
  bf16: { dtype: 'BF16', shape: [2, 1], data: Uint16Array.from([0x3f80, 0xff80]) },
  f64: { dtype: 'F64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
  i64: { dtype: 'I64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 7n]) },
  i32: { dtype: 'I32', shape: [3], data: Int32Array.from([-(2 ** 31), 0, 2 ** 31 - 1]) },
  i16: { dtype: 'I16', shape: [1, 1, 2], data: Int16Array.from([-32768, 32767]) },
  i8: { dtype: 'I8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
  u8: { dtype: 'U8', shape: [1], data: Uint8Array.from([255]) },
  bool: { dtype: 'BOOL', shape: [3], data: Uint8Array.from([1, 0, 1]) },
  scalar: { dtype: 'F32', shape: [], data: Float32Array.from([4.5]) },
  empty: { dtype: 'F16', shape: [0, 5], data: new Uint16Array(0) },
};

describe('safetensors round trip', () => {
  const path = join(dir, 'all.safetensors');
  saveSafetensors(path, tensors, { note: 'hello' });

  it('writes a header padded with spaces to 8 bytes, format pt, and no temp file', () => {
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const text = bytes.subarray(8, 8 + n).toString('utf8');
    expect(text.trimEnd().length).toBeGreaterThan(n - 8);
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    expect(JSON.parse(text).__metadata__).toEqual({ format: 'pt', note: 'hello' });
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('reads every dtype back bit for bit, in stored order', () => {
    const file = openSafetensors(path);
    expect(file.names()).toEqual(Object.keys(tensors));
    expect(file.metadata).toEqual({ format: 'pt', note: 'hello' });
    for (const [name, t] of Object.entries(tensors)) {
      const back = file.read(name);
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(
        Buffer.from(back.data.buffer).equals(
          Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        ),
      ).toBe(true);
      expect(file.info(name)).toEqual({ name, dtype: t.dtype, shape: t.shape });
    }
    expect(file.has('f32')).toBe(true);
    expect(file.has('nope')).toBe(false);
    expect(() => file.read('nope')).toThrow(/all\.safetensors: no tensor named "nope"/);
    file.close();
    expect(() => file.read('f32')).toThrow(WemoeError);
  });

  it('converts to float32 on request', () => {
    const file = openSafetensors(path);
    expect([...file.readF32('f16')]).toEqual([1, 2 ** -24, Number.POSITIVE_INFINITY, Number.NaN]);
    expect([...file.readF32('bf16')]).toEqual([1, Number.NEGATIVE_INFINITY]);
    expect([...file.readF32('f64')]).toEqual([Math.fround(Math.PI), Number.NEGATIVE_INFINITY]);
    expect([...file.readF32('i64')]).toEqual([-(2 ** 62), 7]);
    expect([...file.readF32('i8')]).toEqual([-128, 0, 127]);
    expect([...file.readF32('scalar')]).toEqual([4.5]);
    expect(file.readF32('empty').length).toBe(0);
    file.close();
  });

  it('stores F32 weights as F16/BF16 with round-to-nearest-even', () => {
    const w: Tensor = { dtype: 'F32', shape: [3], data: Float32Array.from([0.1, 1 + 2 ** -11, 70000]) };
    const p = join(dir, 'half.safetensors');
    saveSafetensors(p, { h: convertTensor(w, 'F16'), b: convertTensor(w, 'BF16') });
    const file = openSafetensors(p);
    expect([...file.readF32('h')]).toEqual([0.0999755859375, 1, Number.POSITIVE_INFINITY]);
    expect([...file.readF32('b')]).toEqual([0.10009765625, 1, 70144]);
    file.close();
  });
});

describe('streaming writer', () => {
  const a: Tensor = { dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) };
  const b: Tensor = { dtype: 'I32', shape: [1], data: Int32Array.from([3]) };
  const entries = [
    { name: 'a', dtype: 'F32' as const, shape: [2] },
    { name: 'b', dtype: 'I32' as const, shape: [1] },
  ];

  it('writes tensors in the declared order and renames on finish', () => {
    const p = join(dir, 'stream.safetensors');
    const sink = createSafetensorsWriter(p, entries);
    sink.write('a', a);
    expect(existsSync(p)).toBe(false);
    sink.write('b', b);
    sink.finish();
    const file = openSafetensors(p);
    expect([...file.readF32('a'), ...file.readF32('b')]).toEqual([1, 2, 3]);
    file.close();
  });

  it('rejects out-of-order, mismatched or missing tensors, and abort leaves nothing', () => {
    const p = join(dir, 'bad-stream.safetensors');
    const sink = createSafetensorsWriter(p, entries);
    expect(() => sink.write('b', b)).toThrow(/tensor "b": written out of order \(expected "a" next\)/);
    expect(() => sink.write('a', b)).toThrow(/dtype I32 but declared F32/);
    expect(() => sink.write('a', { ...a, shape: [1, 2] })).toThrow(/shape \[1, 2\] but declared \[2\]/);
    expect(() => sink.write('a', { ...a, data: new Float32Array(3) })).toThrow(/holds 12 bytes, expected 8/);
    sink.write('a', a);
    expect(() => sink.finish()).toThrow(/finish after 1 of 2 tensors \(next expected "b"\)/);
    sink.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('bad-stream'))).toEqual([]);
  });

  it('rejects duplicate and reserved names when declared', () => {
    expect(() => createSafetensorsWriter(join(dir, 'd.safetensors'), [entries[0], entries[0]])).toThrow(
      /"a" is reserved or declared twice/,
    );
    expect(() =>
      createSafetensorsWriter(join(dir, 'd.safetensors'), [{ ...entries[0], name: '__metadata__' }]),
    ).toThrow(WemoeError);
  });

  it('handles awkward names (numeric, __proto__, unicode) and subarray data', () => {
    const p = join(dir, 'names.safetensors');
    const big = Float32Array.from([9, 8, 7, 6]);
    const t: Record<string, Tensor> = Object.create(null);
    t.z = { dtype: 'F32', shape: [2], data: big.subarray(2) };
    t['10'] = { dtype: 'U8', shape: [1], data: Uint8Array.from([1]) };
    const proto: Tensor = { dtype: 'U8', shape: [1], data: Uint8Array.from([2]) };
    Object.defineProperty(t, '__proto__', { value: proto, enumerable: true });
    t['é "q"\n'] = { dtype: 'U8', shape: [1], data: Uint8Array.from([3]) };
    saveSafetensors(p, t);
    const file = openSafetensors(p);
    expect(file.names().sort()).toEqual(['10', '__proto__', 'z', 'é "q"\n'].sort());
    expect([...file.readF32('z')]).toEqual([7, 6]);
    expect([...file.readF32('__proto__')]).toEqual([2]);
    expect([...file.readF32('é "q"\n')]).toEqual([3]);
    file.close();
  });
});
