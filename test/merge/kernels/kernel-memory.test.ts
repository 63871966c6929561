import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackgroundReader } from '../../../src/io/background-reader.js';
import {
  createKernelArena,
  defaultMemory,
  memoryHolding,
  RING_START,
} from '../../../src/merge/kernels/kernel-memory.js';

describe('kernel memory', () => {
  it('finds the arena holding an input, else the default memory', () => {
    const arena = createKernelArena(1 << 16);
    expect(arena.offset).toBe(RING_START);
    expect(arena.buffer.byteLength).toBe(RING_START + (1 << 16));
    const inside = new Float32Array(arena.buffer, arena.offset, 4);
    const outside = new Float32Array(4);
    expect(memoryHolding([outside, inside]).buffer).toBe(arena.buffer);
    expect(memoryHolding([outside])).toBe(defaultMemory);
    expect(memoryHolding([new Float32Array(new SharedArrayBuffer(16))])).toBe(defaultMemory);
  });

  it('is where a background reader with an arena ring reads files into, past the scratch', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wemoe-arena-'));
    const path = join(dir, 'bytes.bin');
    writeFileSync(
      path,
      Uint8Array.from({ length: 300 }, (_, i) => i % 251),
    );
    const arena = createKernelArena(1024);
    const reader = new BackgroundReader({ ring: arena });
    try {
      const ticket = reader.request({ path, offset: 10, length: 200 });
      const bytes = reader.take(ticket)!;
      expect(bytes.buffer).toBe(arena.buffer);
      expect(bytes.byteOffset).toBeGreaterThanOrEqual(RING_START);
      expect(Array.from(bytes.subarray(0, 3))).toEqual([10, 11, 12]);
      expect(bytes[199]).toBe(209);
      reader.release(ticket);
    } finally {
      reader.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
