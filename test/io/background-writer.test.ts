import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackgroundWriter } from '../../src/io/background-writer.js';
import { RING_ALIGN } from '../../src/io/byte-ring.js';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { SafetensorsFileWriter, saveSafetensors } from '../../src/io/safetensors-writer.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tempDir } from './helpers.js';

const dir = tempDir('background-writer');

describe('BackgroundWriter', () => {
  it('writes every byte at its position, in chunks through a small ring, whatever the order', () => {
    const path = join(dir, 'positions.bin');
    const fd = openSync(path, 'w');
    const writer = new BackgroundWriter(path, fd, 2 * RING_ALIGN); // chunks of 128 bytes, one in flight
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 251);
    const source = bytes.slice(); // reused by the caller right after each write
    writer.write(source.subarray(600), 600);
    source.fill(0, 600);
    writer.write(source.subarray(0, 600), 0);
    source.fill(0);
    writer.drain();
    writer.close();
    closeSync(fd);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
  });

  it('reports a failed write as a WemoeError naming the file (on drain, or on the next write)', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const writer = new BackgroundWriter('out.safetensors', fd);
      writer.write(new Uint8Array(10), 0);
      expect(() => writer.drain()).toThrow('out.safetensors: write failed (ENOSPC)');
      expect(() => writer.write(new Uint8Array(1), 10)).toThrow('out.safetensors: write failed (ENOSPC)');
      writer.close();
    } finally {
      closeSync(fd);
    }
  });
});

describe('SafetensorsFileWriter writing behind', () => {
  const tensors: Record<string, Tensor> = {
    big: { dtype: 'F32', shape: [3, 5000], data: Float32Array.from({ length: 15000 }, (_, i) => i / 7) },
    small: { dtype: 'I64', shape: [2], data: BigInt64Array.from([5n, -6n]) },
    half: { dtype: 'F16', shape: [3], data: Uint16Array.from([1, 2, 3]) },
  };
  const entries = Object.entries(tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));

  it('writes the same file as the plain writer, under its name only on finish', () => {
    const plain = join(dir, 'plain.safetensors');
    saveSafetensors(plain, tensors);
    const behind = join(dir, 'behind.safetensors');
    const sink = new SafetensorsFileWriter(behind, entries, {}, { writeBehindMinBytes: 0 });
    for (const [name, t] of Object.entries(tensors)) sink.write(name, t);
    expect(existsSync(behind)).toBe(false);
    sink.finish();
    expect(readFileSync(behind)).toEqual(readFileSync(plain));
    const file = openSafetensors(behind);
    expect(file.readF32('big')).toEqual(tensors.big.data);
    file.close();
  });

  it('leaves nothing behind on abort', () => {
    const path = join(dir, 'aborted.safetensors');
    const sink = new SafetensorsFileWriter(path, entries, {}, { writeBehindMinBytes: 0 });
    sink.write('big', tensors.big);
    sink.abort();
    expect(readdirSync(dir).filter((f) => f.startsWith('aborted'))).toEqual([]);
  });
});
