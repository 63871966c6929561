import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackgroundReader } from '../../src/io/background-reader.js';
import { RING_ALIGN } from '../../src/io/byte-ring.js';
import { tempDir } from './helpers.js';

const dir = tempDir('background-reader');

describe('BackgroundReader', () => {
  it('hands back each requested byte range, whatever order they are taken in', () => {
    const path = join(dir, 'bytes.bin');
    writeFileSync(
      path,
      Uint8Array.from({ length: 64 }, (_, i) => i),
    );
    const reader = new BackgroundReader();
    try {
      const first = reader.request({ path, offset: 3, length: 5 });
      const second = reader.request({ path, offset: 60, length: 4 });
      const empty = reader.request({ path, offset: 10, length: 0 });
      expect([...new Uint8Array(reader.take(second)!)]).toEqual([60, 61, 62, 63]);
      expect([...new Uint8Array(reader.take(first)!)]).toEqual([3, 4, 5, 6, 7]);
      expect(reader.take(empty)!.byteLength).toBe(0);
    } finally {
      reader.close();
    }
  });

  it('answers null for a read that fails (missing file, range past the end) and goes on reading', () => {
    const path = join(dir, 'short.bin');
    writeFileSync(path, Uint8Array.from([9, 8, 7]));
    const reader = new BackgroundReader();
    try {
      const missing = reader.request({ path: join(dir, 'missing.bin'), offset: 0, length: 1 });
      const pastEnd = reader.request({ path, offset: 2, length: 4 });
      const fine = reader.request({ path, offset: 1, length: 2 });
      expect(reader.take(missing)).toBeNull();
      expect(reader.take(pastEnd)).toBeNull();
      expect([...new Uint8Array(reader.take(fine)!)]).toEqual([8, 7]);
    } finally {
      reader.close();
    }
  });

  it('gives up on a worker that stopped answering: null after the stall time, then at once', () => {
    const path = join(dir, 'stall.bin');
    writeFileSync(path, Uint8Array.from([1, 2, 3]));
    const reader = new BackgroundReader({ stallMs: 200 });
    reader.close(); // the worker ends; nothing will answer from now on
    const lost = reader.request({ path, offset: 0, length: 3 });
    const began = performance.now();
    expect(reader.take(lost)).toBeNull();
    expect(performance.now() - began).toBeGreaterThanOrEqual(200);
    const after = performance.now();
    expect(reader.take(reader.request({ path, offset: 0, length: 1 }))).toBeNull();
    expect(performance.now() - after).toBeLessThan(100);
  });
});

describe('BackgroundReader with a ring', () => {
  it('reads into the ring, reuses a released range, and gives reads that do not fit buffers of their own', () => {
    const path = join(dir, 'ring.bin');
    writeFileSync(
      path,
      Uint8Array.from({ length: 256 }, (_, i) => i),
    );
    const reader = new BackgroundReader({ ringBytes: 2 * RING_ALIGN });
    try {
      const first = reader.request({ path, offset: 0, length: 40 });
      const second = reader.request({ path, offset: 100, length: 50 });
      const third = reader.request({ path, offset: 200, length: 10 }); // the ring is full: a buffer of its own
      const a = reader.take(first)!;
      const b = reader.take(second)!;
      const c = reader.take(third)!;
      expect([a.buffer, b.buffer].every((buffer) => buffer instanceof SharedArrayBuffer)).toBe(true);
      expect([a.byteOffset, b.byteOffset]).toEqual([0, RING_ALIGN]);
      expect(c.buffer instanceof SharedArrayBuffer).toBe(false);
      expect([...a]).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect([...b]).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
      expect([...c]).toEqual(Array.from({ length: 10 }, (_, i) => 200 + i));
      reader.release(first);
      reader.release(third); // not in the ring: nothing to do
      const again = reader.take(reader.request({ path, offset: 64, length: 8 }))!;
      expect(again.byteOffset).toBe(0); // first's range, reused
      expect([...again]).toEqual([64, 65, 66, 67, 68, 69, 70, 71]);
      expect([...b]).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i)); // untouched while not released
    } finally {
      reader.close();
    }
  });

  it('frees the range of a failed read', () => {
    const path = join(dir, 'ring-short.bin');
    writeFileSync(path, Uint8Array.from([1, 2, 3]));
    const reader = new BackgroundReader({ ringBytes: RING_ALIGN });
    try {
      expect(reader.take(reader.request({ path, offset: 0, length: 8 }))).toBeNull();
      const fine = reader.take(reader.request({ path, offset: 1, length: 2 }))!;
      expect([fine.byteOffset, ...fine]).toEqual([0, 2, 3]);
    } finally {
      reader.close();
    }
  });
});
