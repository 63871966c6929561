/**
 * Global Ties over files (inputs read ahead into a kernel arena: spans shared with a worker thread, fine
 * counts kept by the spans, records finalized in WebAssembly, provisional tensors held in the arena)
 * against the same merge over memory (the block path, records counted and finalized from JavaScript), bit
 * for bit: tensors past the worker's threshold with odd lengths, one tensor alone, every merge function,
 * both majorities; no worker left running after a merge, nor after one that failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WemoeError } from '../../src/errors.js';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { liveSpanWorkers, SHARED_SPAN_MIN } from '../../src/merge/kernels/ties-span.js';
import { type MergeSources, planMerge } from '../../src/merge/plan.js';
import { outputEntries, streamMerge } from '../../src/merge/stream.js';
import { tiesMethod } from '../../src/merge/ties.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { MemorySink, MemorySource, mulberry32 } from './memory.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-stream-span-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TASKS = ['a', 'b', 'c'];

/** θ0, then experts θ0 + τ: coarse τ (ties, cancellations, zeros), leaning by `lean` (the majority's sign). */
function models(shapes: Record<string, number>, seed: number, lean: number): Record<string, Tensor>[] {
  const random = mulberry32(seed);
  const base = Object.fromEntries(
    Object.entries(shapes).map(([name, n]) => [name, Float32Array.from({ length: n }, () => random())]),
  );
  const expert = () =>
    Object.fromEntries(
      Object.entries(base).map(([name, values]): [string, Tensor] => {
        const data = values.map((v) => v + (random() < -0.3 ? 0 : Math.round((random() + lean) * 16) / 64));
        return [name, { dtype: 'F32', shape: [data.length], data }];
      }),
    );
  const pretrained = Object.fromEntries(
    Object.entries(base).map(([name, data]): [string, Tensor] => [
      name,
      { dtype: 'F32', shape: [data.length], data },
    ]),
  );
  return [pretrained, ...TASKS.map(expert)];
}

function sourcesOf(all: Record<string, Tensor>[], files: boolean, tag: string): MergeSources {
  const open = (tensors: Record<string, Tensor>, m: number) => {
    if (!files) return new MemorySource(`m${m}`, tensors);
    const path = join(dir, `${tag}-m${m}.safetensors`);
    saveSafetensors(path, tensors);
    return openSafetensors(path);
  };
  const [pretrained, ...experts] = all.map(open);
  return { pretrained, experts: Object.fromEntries(TASKS.map((t, i) => [t, experts[i]])) };
}

function mergeBits(sources: MergeSources, raw: unknown): number[][] {
  const plan = planMerge(sources);
  const merger = tiesMethod.createMerger(tiesMethod.params.parse(raw), {
    tasks: plan.tasks,
    floatParams: plan.floatParams,
    seed: 0,
  });
  const sink = new MemorySink(outputEntries(plan));
  try {
    streamMerge(sources, plan, merger, sink);
  } finally {
    for (const source of [sources.pretrained, ...Object.values(sources.experts)]) source.close();
  }
  return Object.values(sink.written).map((t) => [
    ...new Uint32Array(Float32Array.from(t.data as Float32Array).buffer),
  ]);
}

async function noWorkerLeft(): Promise<number> {
  for (let wait = 0; wait < 100 && liveSpanWorkers() > 0; wait++) await new Promise((r) => setTimeout(r, 20));
  return liveSpanWorkers();
}

describe('global Ties over files equals it over memory', () => {
  const cases = [
    ['several tensors', { big: SHARED_SPAN_MIN + 3, odd: 2 * SHARED_SPAN_MIN + 1, small: 77, one: 1 }, 0.1],
    ['one tensor', { only: SHARED_SPAN_MIN + 6 }, -0.3],
  ] as const;
  for (const [label, shapes, lean] of cases) {
    it(`bit for bit: ${label}, every merge function`, async () => {
      const all = models(shapes, label.length, lean);
      for (const merge_func of ['sum', 'mean', 'max']) {
        const raw = { merge_func, threshold: 30, scaling_factor: 0.7 };
        const expected = mergeBits(sourcesOf(all, false, label), raw);
        expect(mergeBits(sourcesOf(all, true, `${label}-${merge_func}`), raw)).toEqual(expected);
      }
      expect(await noWorkerLeft()).toBe(0);
    });
  }

  it('finds a result that overflows float32, here and on the worker (one line naming the tensor)', async () => {
    for (const name of ['first', 'second']) {
      const all = models({ first: SHARED_SPAN_MIN + 3, second: SHARED_SPAN_MIN + 1 }, 4, 0);
      (all[0][name].data as Float32Array)[SHARED_SPAN_MIN] = 2e38;
      for (const expert of all.slice(1)) (expert[name].data as Float32Array)[SHARED_SPAN_MIN] = 3.4e38;
      const raw = { threshold: 100, scaling_factor: 1 };
      expect(() => mergeBits(sourcesOf(all, true, `overflow-${name}`), raw)).toThrow(
        new RegExp(`^merge: tensor '${name}': a non-finite result \\(overflow\\); expected finite weights$`),
      );
    }
    expect(await noWorkerLeft()).toBe(0);
  });

  it('names the expert whose τ holds a NaN, counted by the spans here and on the worker', async () => {
    for (const at of [5, SHARED_SPAN_MIN]) {
      const all = models({ big: SHARED_SPAN_MIN + 3 }, 11, 0);
      // −NaN: with a NaN total its negative part is not the one elected, so only the count finds it.
      new Uint32Array((all[2].big.data as Float32Array).buffer)[at] = 0xffc00000;
      expect(() => mergeBits(sourcesOf(all, true, `nan-${at}`), {})).toThrow(
        /^merge: tensor 'big': non-finite values in expert 'b'/,
      );
    }
    expect(await noWorkerLeft()).toBe(0);
  });

  it('leaves no worker running after a merge that failed', async () => {
    const all = models({ big: SHARED_SPAN_MIN + 3, late: 5 }, 9, 0);
    (all[2].late.data as Float32Array)[2] = Number.NaN;
    expect(() => mergeBits(sourcesOf(all, true, 'nan'), {})).toThrow(WemoeError);
    expect(await noWorkerLeft()).toBe(0);
  });
});
