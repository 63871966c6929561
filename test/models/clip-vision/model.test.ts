import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveClipVision } from '../../../src/models/clip-vision/checkpoint.js';
import { type ClipVisionConfig, parseClipVisionConfig } from '../../../src/models/clip-vision/config.js';
import {
  type ClipParams,
  normalSampler,
  randomClipParams,
  withZeroed,
} from '../../../src/models/clip-vision/params.js';
import { ClipVisionRunner } from '../../../src/models/clip-vision/runner.js';
import { float32, type Tensor } from '../../../src/tensor/tensor.js';
import { embed, layerNorm, type Mat, referenceForward } from './reference-forward.js';

const tinyJson = {
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  image_size: 8,
  patch_size: 4,
};
const config = parseClipVisionConfig(tinyJson);
const IMAGE = 3 * 8 * 8;
const root = mkdtempSync(join(tmpdir(), 'wemoe-clip-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function randomPixels(batch: number, seed: number): Tensor {
  const normal = normalSampler(seed);
  return float32([batch, 3, 8, 8], Array.from({ length: batch * IMAGE }, normal));
}

/** Saves the model as a real HF folder and loads it back through the runner. */
function runnerFor(
  name: string,
  cfg: ClipVisionConfig,
  params: ClipParams,
  weights?: 'inputs' | 'initializers',
) {
  const dir = join(root, name);
  saveClipVision(dir, cfg, params);
  return ClipVisionRunner.load(dir, { threads: 1, weights });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function image(pixels: Tensor, b: number): Float64Array {
  return Float64Array.from((pixels.data as Float32Array).subarray(b * IMAGE, (b + 1) * IMAGE));
}

describe('CLIP vision forward on ONNX Runtime', () => {
  for (const [weights, act] of [
    ['inputs', 'quick_gelu'],
    ['initializers', 'gelu'],
  ] as const) {
    it(`matches the float64 reference (weights as ${weights}, ${act})`, async () => {
      const cfg = parseClipVisionConfig({ ...tinyJson, hidden_act: act });
      const params = randomClipParams(cfg, 11);
      const runner = runnerFor(`ref-${weights}`, cfg, params, weights);
      const pixels = randomPixels(3, 1);
      const out = await runner.forward(pixels);
      expect(out.pooler_output.shape).toEqual([3, 16]);
      expect(out.last_hidden_state.shape).toEqual([3, 5, 16]);
      for (let b = 0; b < 3; b++) {
        const ref = referenceForward(cfg, params, image(pixels, b));
        const pooled = (out.pooler_output.data as Float32Array).subarray(b * 16, (b + 1) * 16);
        const hidden = (out.last_hidden_state.data as Float32Array).subarray(b * 80, (b + 1) * 80);
        expect(maxAbsDiff(pooled, ref.poolerOutput)).toBeLessThan(1e-4);
        expect(maxAbsDiff(hidden, ref.lastHiddenState.data)).toBeLessThan(1e-4);
      }
      await runner.dispose();
    });
  }

  it('gives each image the same result alone as in a batch', async () => {
    const runner = runnerFor('batch', config, randomClipParams(config, 2));
    const pixels = randomPixels(3, 2);
    const all = await runner.forward(pixels);
    const second = await runner.forward(
      float32([1, 3, 8, 8], (pixels.data as Float32Array).subarray(IMAGE, 2 * IMAGE)),
    );
    expect(
      maxAbsDiff(
        second.pooler_output.data as Float32Array,
        (all.pooler_output.data as Float32Array).subarray(16, 32),
      ),
    ).toBeLessThan(1e-5);
    await expect(runner.forward(float32([1, 3, 8, 4]))).rejects.toThrow(
      'pixel_values: expected F32 [B, 3, 8, 8], got F32 [1, 3, 8, 4]',
    );
    await expect(runner.forward(pixels, 'mnist')).rejects.toThrow(
      /task mnist asked for, but the runner has no heads/,
    );
    await runner.dispose();
  });

  it('reduces to the layer norms when a block has zero attention and MLP outputs', async () => {
    const one = parseClipVisionConfig({ ...tinyJson, num_hidden_layers: 1 });
    const p = 'vision_model.encoder.layers.0.';
    const params = withZeroed(randomClipParams(one, 3), [
      `${p}self_attn.out_proj.weight`,
      `${p}self_attn.out_proj.bias`,
      `${p}mlp.fc2.weight`,
      `${p}mlp.fc2.bias`,
    ]);
    const runner = runnerFor('zeroed', one, params);
    const pixels = randomPixels(2, 3);
    const out = await runner.forward(pixels);
    const get = (name: string) => Float64Array.from(params.get(`vision_model.${name}`)!.data as Float32Array);
    // The class token never sees the image: pooler = post_ln(pre_ln(class_embedding + position 0)).
    const cls: Mat = {
      rows: 1,
      cols: 16,
      data: get('embeddings.class_embedding').map(
        (v, i) => v + get('embeddings.position_embedding.weight')[i],
      ),
    };
    const pooled = layerNorm(
      layerNorm(cls, get('pre_layrnorm.weight'), get('pre_layrnorm.bias'), 1e-5),
      get('post_layernorm.weight'),
      get('post_layernorm.bias'),
      1e-5,
    );
    for (let b = 0; b < 2; b++) {
      const row = (out.pooler_output.data as Float32Array).subarray(b * 16, (b + 1) * 16);
      expect(maxAbsDiff(row, pooled.data)).toBeLessThan(1e-5);
      const tokens = layerNorm(
        embed(one, params, image(pixels, b)),
        get('pre_layrnorm.weight'),
        get('pre_layrnorm.bias'),
        1e-5,
      );
      expect(
        maxAbsDiff((out.last_hidden_state.data as Float32Array).subarray(b * 80, (b + 1) * 80), tokens.data),
      ).toBeLessThan(1e-5);
    }
    await runner.dispose();
  });

  it('lets a hook replace the parameters of chosen modules, seeing each module input', async () => {
    const params = randomClipParams(config, 6);
    const pixels = randomPixels(2, 6);
    const zeroedNames = [
      'vision_model.encoder.layers.1.mlp.fc2.weight',
      'vision_model.encoder.layers.1.mlp.fc2.bias',
      'vision_model.encoder.layers.0.self_attn.out_proj.weight',
      'vision_model.encoder.layers.0.self_attn.out_proj.bias',
    ];
    const zeroedParams = withZeroed(params, zeroedNames);
    const seen: string[] = [];
    const hooked = ClipVisionRunner.create(
      { config, params },
      {
        threads: 1,
        moduleParams: (layer, module, x) => {
          seen.push(`${layer}.${module}`);
          expect(x.shape).toEqual(['batch', 5, 16]);
          const replaced = (layer === 1 && module === 'mlp') || (layer === 0 && module === 'self_attn');
          if (!replaced) return undefined;
          // Per-sample parameters, as WEMoE gives: weights [1, out, in], biases [1, 1, out].
          return (name) => {
            const t = zeroedParams.get(name)!;
            const shape = t.shape.length === 1 ? [1, 1, ...t.shape] : [1, ...t.shape];
            return x.graph.constant({ ...t, shape }, `hooked.${name}`);
          };
        },
      },
    );
    const zeroed = ClipVisionRunner.create({ config, params: zeroedParams }, { threads: 1 });
    const a = await hooked.forward(pixels);
    const b = await zeroed.forward(pixels);
    expect(seen).toEqual(['0.self_attn', '0.mlp', '1.self_attn', '1.mlp']);
    expect(
      maxAbsDiff(a.last_hidden_state.data as Float32Array, b.last_hidden_state.data as Float32Array),
    ).toBeLessThan(1e-6);
    const unhooked = ClipVisionRunner.create({ config, params }, { threads: 1 });
    const plain = await unhooked.forward(pixels);
    expect(
      maxAbsDiff(a.last_hidden_state.data as Float32Array, plain.last_hidden_state.data as Float32Array),
    ).toBeGreaterThan(1e-3);
    await hooked.dispose();
    await zeroed.dispose();
    await unhooked.dispose();
  });

  it('permutes the tokens when patches and position embeddings are permuted together', async () => {
    const params = randomClipParams(config, 4);
    const perm = [2, 0, 3, 1]; // patch j (row-major cell of the 2×2 grid) moves to cell perm[j]
    const pixels = randomPixels(1, 4);
    const moved = new Float32Array(IMAGE);
    const src = pixels.data as Float32Array;
    for (let j = 0; j < 4; j++) {
      const [fy, fx, ty, tx] = [Math.floor(j / 2), j % 2, Math.floor(perm[j] / 2), perm[j] % 2];
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 4; y++) {
          for (let x = 0; x < 4; x++)
            moved[(c * 8 + ty * 4 + y) * 8 + tx * 4 + x] = src[(c * 8 + fy * 4 + y) * 8 + fx * 4 + x];
        }
      }
    }
    const pos = params.get('vision_model.embeddings.position_embedding.weight')!.data as Float32Array;
    const movedPos = Float32Array.from(pos);
    for (let j = 0; j < 4; j++) movedPos.set(pos.subarray((1 + j) * 16, (2 + j) * 16), (1 + perm[j]) * 16);
    const permuted = new Map(params).set(
      'vision_model.embeddings.position_embedding.weight',
      float32([5, 16], movedPos),
    );
    const a = await runnerFor('perm-a', config, params).forward(pixels);
    const b = await runnerFor('perm-b', config, permuted).forward(float32([1, 3, 8, 8], moved));
    const tokenA = (t: number) => (a.last_hidden_state.data as Float32Array).subarray(t * 16, (t + 1) * 16);
    const tokenB = (t: number) => (b.last_hidden_state.data as Float32Array).subarray(t * 16, (t + 1) * 16);
    expect(maxAbsDiff(tokenB(0), tokenA(0))).toBeLessThan(1e-5);
    for (let j = 0; j < 4; j++) expect(maxAbsDiff(tokenB(1 + perm[j]), tokenA(1 + j))).toBeLessThan(1e-5);
    expect(
      maxAbsDiff(b.pooler_output.data as Float32Array, a.pooler_output.data as Float32Array),
    ).toBeLessThan(1e-5);
    // Without moving the position embeddings the patch tokens differ.
    const c = await runnerFor('perm-c', config, params).forward(float32([1, 3, 8, 8], moved));
    expect(
      maxAbsDiff(c.last_hidden_state.data as Float32Array, b.last_hidden_state.data as Float32Array),
    ).toBeGreaterThan(1e-3);
  });
});
