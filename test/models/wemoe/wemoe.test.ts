import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Graph } from '../../../src/graph/graph.js';
import { taskArithmetic } from '../../../src/merge/task-arithmetic.js';
import { routerLrScale } from '../../../src/merge/wemoe.js';
import type { ClipParams } from '../../../src/models/clip-vision/params.js';
import { loadWemoe, saveWemoe } from '../../../src/models/wemoe/checkpoint.js';
import { wemoeForward } from '../../../src/models/wemoe/graph.js';
import {
  type UpscaleOptions,
  upscaleToWemoe,
  type WemoeModel,
  wemoeParamCounts,
} from '../../../src/models/wemoe/model.js';
import { compile } from '../../../src/runtime/compile.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { maxAbsDiff, perturbed, plainPooler, pretrained, randomPixels, tinyConfig } from './tiny.js';

const experts = new Map([
  ['a', perturbed(11)],
  ['b', perturbed(12)],
  ['c', perturbed(13)],
]);

async function wemoeRun(
  model: WemoeModel,
  pixels: Tensor,
): Promise<{ pooler: Float32Array; routing: Tensor }> {
  const g = new Graph();
  const x = g.input('pixel_values', 'F32', ['batch', 3, tinyConfig.imageSize, tinyConfig.imageSize]);
  const out = wemoeForward(model, x, false);
  const session = await compile({ pooler: out.poolerOutput, routing: out.routingWeights! });
  const r = await session.run({ pixel_values: pixels });
  return { pooler: r.pooler.data as Float32Array, routing: r.routing };
}

function taskArithmeticParams(lambda: number, from: ReadonlyMap<string, ClipParams>): ClipParams {
  const out: ClipParams = new Map();
  for (const [name, t] of pretrained) {
    const xs = [...from.values()].map((p) => p.get(name)!.data as Float32Array);
    out.set(name, { dtype: 'F32', shape: t.shape, data: taskArithmetic(t.data as Float32Array, xs, lambda) });
  }
  return out;
}

const upscale = (options: UpscaleOptions, from = experts) =>
  upscaleToWemoe(tinyConfig, pretrained, from, options);

describe('WEMoE', () => {
  const pixels = randomPixels(5, 7);

  it('depth 0 at its initial bias λ equals the task-arithmetic model', async () => {
    const model = upscale({ routerDepth: 0, initLambda: 0.3 });
    const got = await wemoeRun(model, pixels);
    const want = await plainPooler(taskArithmeticParams(0.3, experts), pixels);
    expect(maxAbsDiff(got.pooler, want)).toBeLessThan(1e-5);
    expect(got.routing.shape).toEqual([2, 5, 3]);
    expect([...(got.routing.data as Float32Array)].every((w) => Math.abs(w - 0.3) < 1e-7)).toBe(true);
  });

  it('with one expert and λ = 1 gives the expert', async () => {
    const one = new Map([['a', experts.get('a')!]]);
    const model = upscale({ routerDepth: 0, initLambda: 1 }, one);
    const got = await wemoeRun(model, pixels);
    expect(maxAbsDiff(got.pooler, await plainPooler(one.get('a')!, pixels))).toBeLessThan(1e-5);
  });

  it('depth 2 at init routes every sample ≈ λ, per sample', async () => {
    const model = upscale({ routerDepth: 2, initLambda: 0.3, seed: 3 });
    const { routing } = await wemoeRun(model, pixels);
    const w = [...routing.data] as number[];
    expect(w.every((x) => Math.abs(x - 0.3) < 0.05)).toBe(true);
    expect(new Set(w.map((x) => x.toFixed(6))).size).toBeGreaterThan(10); // input-dependent
  });

  it('batch_reduce with batch 1 equals per-sample routing', async () => {
    const one = randomPixels(1, 9);
    const perSample = await wemoeRun(upscale({ routerDepth: 2, seed: 5 }), one);
    const reduced = await wemoeRun(upscale({ routerDepth: 2, seed: 5, batchReduce: true }), one);
    expect(maxAbsDiff(perSample.pooler, reduced.pooler)).toBeLessThan(1e-6);
  });

  it('per-sample routing: a sample does not depend on its batch neighbours', async () => {
    const model = upscale({ routerDepth: 2, seed: 5 });
    const batch = await wemoeRun(model, pixels);
    const first = await wemoeRun(model, { ...pixels, shape: [1, 3, 4, 4], data: pixels.data.slice(0, 48) });
    expect(maxAbsDiff(batch.pooler.subarray(0, 8), first.pooler)).toBeLessThan(1e-5);
  });

  it('counts trainable parameters as the paper does', () => {
    const d = tinyConfig.hiddenSize;
    const layers = tinyConfig.numHiddenLayers;
    expect(wemoeParamCounts(upscale({ routerDepth: 2 })).trainable).toBe(layers * (d * d + d + 3 * d + 3));
    expect(wemoeParamCounts(upscale({ routerDepth: 1 })).trainable).toBe(layers * (3 * d + 3));
    expect(wemoeParamCounts(upscale({ routerDepth: 0 })).trainable).toBe(layers * 3);
  });

  describe('checkpoints', () => {
    const root = mkdtempSync(join(tmpdir(), 'wemoe-moe-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('save then load gives the same model and outputs', async () => {
      const model = upscale({ routerDepth: 2, seed: 4, upscaledLayers: [1] });
      saveWemoe(join(root, 'm'), model);
      const loaded = loadWemoe(join(root, 'm'));
      expect(loaded.wemoe).toEqual(model.wemoe);
      expect([...loaded.routers.keys()]).toEqual([...model.routers.keys()]);
      const a = await wemoeRun(model, pixels);
      const b = await wemoeRun(loaded, pixels);
      expect(maxAbsDiff(a.pooler, b.pooler)).toBe(0);
      expect(b.routing.shape).toEqual([1, 5, 3]);
    });
  });
});

describe('routerLrScale', () => {
  it('carries the lr of 768-wide routers to the weight matrices only (hidden size 8: × 96)', () => {
    const depth2 = upscale({ routerDepth: 2 });
    const scale = routerLrScale(depth2, 768);
    expect(Object.keys(scale).sort()).toEqual(
      [...depth2.routers.keys()].filter((n) => /fc[12]\.weight$/.test(n)).sort(),
    );
    expect(Object.keys(scale)).toHaveLength(4);
    expect(Object.values(scale).every((s) => s === 96)).toBe(true);
    expect(Object.keys(routerLrScale(upscale({ routerDepth: 1 }), 768))).toEqual([
      'vision_model.encoder.layers.0.mlp.gate.fc.weight',
      'vision_model.encoder.layers.1.mlp.gate.fc.weight',
    ]);
    expect(routerLrScale(upscale({ routerDepth: 0 }), 768)).toEqual({});
    expect(routerLrScale(depth2, null)).toEqual({});
  });
});
