import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackgroundReader } from '../../src/io/background-reader.js';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import type { TensorSource } from '../../src/io/tensor-source.js';
import { planMerge } from '../../src/merge/plan.js';
import { ReadAhead, readAheadRingBytes } from '../../src/merge/read-ahead.js';
import { f32ArrayToF16 } from '../../src/tensor/f16.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { f32Tensors, MemorySource, vectors } from './memory.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-read-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NAMES = ['a', 'b', 'c'];

/** Tensor `name` of model `m`: values that tell model and tensor apart. */
function values(m: number, name: string): number[] {
  const t = NAMES.indexOf(name);
  return Array.from({ length: 2 + t }, (_, i) => 100 * m + 10 * t + i + 0.5);
}

function modelTensors(m: number, f16 = false): Record<string, Tensor> {
  const f32 = f32Tensors(vectors(Object.fromEntries(NAMES.map((n) => [n, values(m, n)]))));
  if (!f16) return f32;
  const half = (t: Tensor): Tensor => ({ ...t, dtype: 'F16', data: f32ArrayToF16(t.data as Float32Array) });
  return Object.fromEntries(Object.entries(f32).map(([n, t]) => [n, half(t)]));
}

function savedModel(file: string, m: number, f16 = false): TensorSource {
  const path = join(dir, file);
  saveSafetensors(path, modelTensors(m, f16));
  return openSafetensors(path);
}

describe('ReadAhead', () => {
  it('delivers every model tensor by tensor in plan order: F16 files read ahead, memory read in place', () => {
    const pretrained = savedModel('p.safetensors', 0, true);
    const experts = {
      x: savedModel('x.safetensors', 1, true),
      y: new MemorySource('y', modelTensors(2, true)),
    };
    const sources = { pretrained, experts };
    const plan = planMerge(sources);
    const reader = new BackgroundReader();
    try {
      const ahead = new ReadAhead(sources, plan.tasks, plan.floatTensors, reader);
      for (const name of NAMES) {
        const { pretrained: p, experts: e } = ahead.next(name);
        expect([...p]).toEqual(values(0, name));
        expect(e.map((t) => [...t])).toEqual([values(1, name), values(2, name)]);
      }
      expect(() => ahead.next('a')).toThrow("read-ahead: asked for 'a', next in order is '(end)'");
    } finally {
      reader.close();
      pretrained.close();
      experts.x.close();
    }
  });

  it('reads F32 files into the ring it sizes (the tensor merged and two ahead, + one at the wrap)', () => {
    const pretrained = savedModel('rp.safetensors', 0);
    const experts = { x: savedModel('rx.safetensors', 1), y: new MemorySource('y', modelTensors(2)) };
    const sources = { pretrained, experts };
    const plan = planMerge(sources);
    // Two models read in the background; every tensor (≤ 16 bytes) takes one 64-byte line of the ring.
    const ringBytes = readAheadRingBytes(sources, plan.tasks, plan.floatTensors);
    expect(ringBytes).toBe(3 * 2 * 64 + 2 * 64);
    const reader = new BackgroundReader({ ringBytes });
    try {
      // A second pass finds the ring free again: the first released what it read.
      for (let pass = 0; pass < 2; pass++) {
        const ahead = new ReadAhead(sources, plan.tasks, plan.floatTensors, reader);
        for (const name of NAMES) {
          const { pretrained: p, experts: e } = ahead.next(name);
          expect([p.buffer, e[0].buffer].every((b) => b instanceof SharedArrayBuffer)).toBe(true);
          expect([...p]).toEqual(values(0, name));
          expect(e.map((t) => [...t])).toEqual([values(1, name), values(2, name)]);
        }
        ahead.close();
      }
    } finally {
      reader.close();
      pretrained.close();
      experts.x.close();
    }
  });

  it('refuses a tensor out of order', () => {
    const pretrained = new MemorySource('p', modelTensors(0));
    const sources = { pretrained, experts: { x: new MemorySource('x', modelTensors(1)) } };
    const ahead = new ReadAhead(sources, ['x'], planMerge(sources).floatTensors, null);
    expect(() => ahead.next('b')).toThrow("read-ahead: asked for 'b', next in order is 'a'");
  });

  it('reports a failed read ahead on its own tensor, with the usual error naming the file', () => {
    const pretrained = savedModel('p2.safetensors', 0);
    const expert = savedModel('x2.safetensors', 1);
    // Cuts the last tensor ('c', 4 floats) short after the header was read: only its read fails.
    truncateSync(join(dir, 'x2.safetensors'), expert.locate!('c').offset + 8);
    const sources = { pretrained, experts: { x: expert } };
    const reader = new BackgroundReader();
    try {
      const ahead = new ReadAhead(sources, ['x'], planMerge(sources).floatTensors, reader);
      expect([...ahead.next('a').experts[0]]).toEqual(values(1, 'a'));
      expect([...ahead.next('b').experts[0]]).toEqual(values(1, 'b'));
      expect(() => ahead.next('c')).toThrow(
        `${join(dir, 'x2.safetensors')}: unexpected end of file at byte ${expert.locate!('c').offset + 8} (expected 8 more bytes)`,
      );
    } finally {
      reader.close();
      pretrained.close();
      expert.close();
    }
  });
});
