import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { routerLrScale } from '../../../src/adapt/wemoe.js';
import { grad } from '../../../src/graph/autodiff.js';
import { Graph } from '../../../src/graph/graph.js';
import type { ClipParams } from '../../../src/models/clip-vision/params.js';
import { loadWemoe, saveWemoe } from '../../../src/models/wemoe/checkpoint.js';
import type { MixtureForm } from '../../../src/models/wemoe/factored-projection.js';
import { wemoeForward } from '../../../src/models/wemoe/graph.js';
import {
  type UpscaleOptions,
  upscaleToWemoe,
  type WemoeModel,
  wemoeParamCounts,
} from '../../../src/models/wemoe/model.js';
import { compile } from '../../../src/runtime/compile.js';
import { taskArithmetic } from '../../../src/tensor/task-arithmetic.js';
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
  const out = wemoeForward(model, x);
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

  it('depth 0 at λ equals task arithmetic with the attention upscaled too (its own routing weights)', async () => {
    const model = upscale({ routerDepth: 0, initLambda: 0.3, upscaledModules: ['self_attn', 'mlp'] });
    expect(model.wemoe.upscaledModules).toEqual(['mlp', 'self_attn']);
    expect(model.moes.map((m) => `${m.layer}.${m.module}`)).toEqual([
      '0.mlp',
      '0.self_attn',
      '1.mlp',
      '1.self_attn',
    ]);
    expect([...model.shared.keys()].some((n) => n.includes('self_attn.') || n.includes('.mlp.'))).toBe(false);
    const g = new Graph();
    const x = g.input('pixel_values', 'F32', ['batch', 3, tinyConfig.imageSize, tinyConfig.imageSize]);
    const out = wemoeForward(model, x);
    const session = await compile({ pooler: out.poolerOutput, attention: out.attentionRoutingWeights! });
    const r = await session.run({ pixel_values: pixels });
    const want = await plainPooler(taskArithmeticParams(0.3, experts), pixels);
    expect(maxAbsDiff(r.pooler.data as Float32Array, want)).toBeLessThan(1e-5);
    expect(r.attention.shape).toEqual([2, 5, 3]);
  });

  it('the attention alone upscaled, one expert at λ = 1, gives the expert', async () => {
    const one = new Map([['a', experts.get('a')!]]);
    const model = upscale({ routerDepth: 0, initLambda: 1, upscaledModules: ['self_attn'] }, one);
    const g = new Graph();
    const x = g.input('pixel_values', 'F32', ['batch', 3, tinyConfig.imageSize, tinyConfig.imageSize]);
    const out = wemoeForward(model, x);
    expect(out.routingWeights).toBeUndefined();
    const session = await compile({ pooler: out.poolerOutput });
    const r = await session.run({ pixel_values: pixels });
    expect(maxAbsDiff(r.pooler.data as Float32Array, await plainPooler(one.get('a')!, pixels))).toBeLessThan(
      1e-5,
    );
  });

  it('an attention router acts at its block: the output moves, the MLP routing before it does not', async () => {
    const model = upscale({ routerDepth: 2, seed: 3, upscaledModules: ['mlp', 'self_attn'] });
    const before = await wemoeRun(model, pixels);
    const gate = model.routers.get('vision_model.encoder.layers.1.self_attn.gate.fc2.bias')!;
    (gate.data as Float32Array).set([1, -0.5, 0.2]);
    const after = await wemoeRun(model, pixels);
    expect(maxAbsDiff(before.pooler, after.pooler)).toBeGreaterThan(1e-3);
    const [r0, r1] = [before.routing.data as Float32Array, after.routing.data as Float32Array];
    expect(maxAbsDiff(r0.subarray(0, 15), r1.subarray(0, 15))).toBe(0); // layer 0's MLP routers
    expect(maxAbsDiff(r0.subarray(15), r1.subarray(15))).toBeGreaterThan(0); // layer 1's read the new attention
  });

  it('takes each expert once; its shared parameters are task arithmetic bit for bit, its task vectors θt − θ0', () => {
    const taken: string[] = [];
    // A map that, like the experts of `wemoe merge`, hands out an expert each time it is asked.
    const counting = new (class extends Map<string, ClipParams> {
      override get(task: string) {
        taken.push(task);
        return super.get(task);
      }
    })(experts);
    const model = upscale({ routerDepth: 0, initLambda: 0.4 }, counting);
    expect(taken).toEqual(['a', 'b', 'c']);
    const reference = taskArithmeticParams(0.4, experts);
    for (const [name, t] of model.shared) expect(t.data).toEqual(reference.get(name)!.data);
    const fc1 = 'vision_model.encoder.layers.1.mlp.fc1.weight';
    const tv = model.moes[1].taskVectors.get('fc1.weight')!.data as Float32Array;
    const [pre, b] = [
      pretrained.get(fc1)!.data as Float32Array,
      experts.get('b')!.get(fc1)!.data as Float32Array,
    ];
    const n = pre.length;
    expect(tv.subarray(n, 2 * n)).toEqual(Float32Array.from(pre, (x, i) => b[i] - x));
  });

  it('the merged and factored forms give the same outputs and router gradients', async () => {
    const model = upscale({ routerDepth: 2, upscaledModules: ['mlp', 'self_attn'], seed: 4 });
    const run = async (mixtureForm: MixtureForm) => {
      const g = new Graph();
      const x = g.input('pixel_values', 'F32', [5, 3, tinyConfig.imageSize, tinyConfig.imageSize]);
      const out = wemoeForward(model, x, { trainableRouters: true, mixtureForm });
      const names = [...out.routerInputs.keys()];
      const loss = out.poolerOutput.tanh().sum();
      const grads = grad(loss, [...out.routerInputs.values()]);
      const outputs = Object.fromEntries(grads.map((v, i) => [`grad:${names[i]}`, v]));
      const session = await compile({ loss, ...outputs });
      return session.run({ pixel_values: pixels, ...Object.fromEntries(model.routers) });
    };
    const [merged, factored] = [await run('merged'), await run('factored')];
    expect(Object.keys(merged)).toHaveLength(1 + model.routers.size);
    for (const [name, t] of Object.entries(merged)) {
      const scale = Math.max(...Array.from(t.data as Float32Array, Math.abs));
      expect(maxAbsDiff(t.data as Float32Array, factored[name].data as Float32Array), name).toBeLessThan(
        1e-5 * Math.max(1, scale),
      );
    }
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
    // The attention's router is a second one of the same size; its 4 projections are stored like the MLP.
    const both = wemoeParamCounts(upscale({ routerDepth: 2, upscaledModules: ['mlp', 'self_attn'] }));
    expect(both.trainable).toBe(2 * layers * (d * d + d + 3 * d + 3));
    const mlpOnly = wemoeParamCounts(upscale({ routerDepth: 2 }));
    expect(both.all - mlpOnly.all).toBe(layers * (d * d + d + 3 * d + 3) + 3 * layers * 4 * (d * d + d));
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

    it('round-trips a model whose attention is upscaled too', async () => {
      const model = upscale({ routerDepth: 1, seed: 6, upscaledModules: ['mlp', 'self_attn'] });
      saveWemoe(join(root, 'attn'), model);
      const loaded = loadWemoe(join(root, 'attn'));
      expect(loaded.wemoe.upscaledModules).toEqual(['mlp', 'self_attn']);
      expect([...loaded.routers.keys()]).toContain('vision_model.encoder.layers.0.self_attn.gate.fc.weight');
      const a = await wemoeRun(model, pixels);
      const b = await wemoeRun(loaded, pixels);
      expect(maxAbsDiff(a.pooler, b.pooler)).toBe(0);
    });

    it('reads a config without upscaled_modules (written before the option) as the MLPs only', () => {
      const model = upscale({ routerDepth: 0, seed: 4 });
      const dir = join(root, 'old');
      saveWemoe(dir, model);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      delete config.wemoe.upscaled_modules;
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      expect(loadWemoe(dir).wemoe.upscaledModules).toEqual(['mlp']);
    });

    it('names the file and tensor when an attention task vector is missing', () => {
      const model = upscale({ routerDepth: 0, seed: 4 });
      const dir = join(root, 'short');
      saveWemoe(dir, model);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      config.wemoe.upscaled_modules = ['mlp', 'self_attn'];
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      expect(() => loadWemoe(dir)).toThrow(
        /short\/model\.safetensors: missing tensor vision_model\.encoder\.layers\.0\.self_attn\.base_model\.q_proj\.weight/,
      );
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
