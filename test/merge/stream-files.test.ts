import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import type { StaticMergeMethod } from '../../src/merge/method.js';
import { type MergeSources, planMerge } from '../../src/merge/plan.js';
import { outputEntries, streamMerge } from '../../src/merge/stream.js';
import { taskArithmeticMethod } from '../../src/merge/task-arithmetic.js';
import { tiesMethod } from '../../src/merge/ties.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { MemorySink, MemorySource, mulberry32 } from './memory.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-stream-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHAPES: Record<string, number[]> = { w1: [7, 5], b1: [5], w2: [300], w3: [2, 3, 4] };
const TASKS = ['a', 'b', 'c'];
const ids: Tensor = { dtype: 'I64', shape: [2], data: BigInt64Array.from([4n, 2n]) };

function randomModel(seed: number): Record<string, Tensor> {
  const random = mulberry32(seed);
  const floats = Object.entries(SHAPES).map(([name, shape]): [string, Tensor] => {
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, random);
    return [name, { dtype: 'F32', shape, data }];
  });
  return { ...Object.fromEntries(floats), ids };
}

function bitsOf(method: StaticMergeMethod<unknown>, raw: unknown, sources: MergeSources): number[][] {
  const plan = planMerge(sources);
  const merger = method.createMerger(method.params.parse(raw), {
    tasks: plan.tasks,
    floatParams: plan.floatParams,
    seed: 0,
  });
  const sink = new MemorySink(outputEntries(plan));
  streamMerge(sources, plan, merger, sink);
  return Object.values(sink.written).map((t) =>
    t.dtype === 'F32'
      ? [...new Uint32Array((t.data as Float32Array).slice().buffer)]
      : [...t.data].map(Number),
  );
}

describe('streamMerge over files (tensors read ahead on a worker) equals it over memory', () => {
  const models = [0, 1, 2, 3].map((m) => randomModel(11 + m));
  const files = models.map((tensors, m) => {
    const path = join(dir, `m${m}.safetensors`);
    saveSafetensors(path, tensors);
    return path;
  });
  const memorySources = (): MergeSources => ({
    pretrained: new MemorySource('p', models[0]),
    experts: Object.fromEntries(TASKS.map((t, i) => [t, new MemorySource(t, models[i + 1])])),
  });

  const cases: [string, StaticMergeMethod<unknown>, unknown][] = [
    ['task arithmetic', taskArithmeticMethod as StaticMergeMethod<unknown>, { scaling_factor: 0.4 }],
    ['global ties', tiesMethod as StaticMergeMethod<unknown>, { threshold: 30 }],
    ['per-tensor ties', tiesMethod as StaticMergeMethod<unknown>, { trim_scope: 'per_tensor' }],
  ];
  for (const [label, method, raw] of cases) {
    it(`bit for bit: ${label}`, () => {
      const opened = files.map((path) => openSafetensors(path));
      try {
        const fileSources = {
          pretrained: opened[0],
          experts: Object.fromEntries(TASKS.map((t, i) => [t, opened[i + 1]])),
        };
        const expected = bitsOf(method, raw, memorySources());
        expect(expected.length).toBe(5);
        expect(bitsOf(method, raw, fileSources)).toEqual(expected);
      } finally {
        for (const source of opened) source.close();
      }
    });
  }
});
