import { describe, expect, it } from 'vitest';
import { parseClipVisionConfig } from '../../../src/models/clip-vision/config.js';
import {
  checkParamShapes,
  clipParamShapes,
  normalSampler,
  randomClipParams,
  withZeroed,
} from '../../../src/models/clip-vision/params.js';

const config = parseClipVisionConfig({
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  image_size: 8,
  patch_size: 4,
});

describe('clipParamShapes', () => {
  it('lists the HF names with their shapes', () => {
    const shapes = clipParamShapes(config);
    expect(shapes.size).toBe(5 + 2 * 16 + 2);
    expect(shapes.get('vision_model.embeddings.patch_embedding.weight')).toEqual([16, 3, 4, 4]);
    expect(shapes.get('vision_model.embeddings.position_embedding.weight')).toEqual([5, 16]);
    expect(shapes.get('vision_model.encoder.layers.1.mlp.fc1.weight')).toEqual([24, 16]);
    expect(shapes.get('vision_model.encoder.layers.1.mlp.fc2.weight')).toEqual([16, 24]);
    expect(shapes.get('vision_model.encoder.layers.0.self_attn.q_proj.bias')).toEqual([16]);
    expect(shapes.has('vision_model.pre_layrnorm.weight')).toBe(true);
  });
});

describe('checkParamShapes', () => {
  const expected = clipParamShapes(config);

  it('accepts an exact match and ignored extras', () => {
    const found = new Map(expected);
    found.set('vision_model.embeddings.position_ids', [1, 5]);
    expect(() => checkParamShapes(expected, found, 'm', (n) => n.endsWith('position_ids'))).not.toThrow();
  });

  it('lists missing, unexpected and wrongly shaped tensors in one line', () => {
    const found = new Map(expected);
    for (let layer = 0; layer < 2; layer++) {
      for (const part of ['weight', 'bias'])
        found.delete(`vision_model.encoder.layers.${layer}.layer_norm1.${part}`);
    }
    found.set('vision_model.extra', [2]);
    found.set('vision_model.encoder.layers.0.mlp.fc1.weight', [16, 24]);
    let message = '';
    try {
      checkParamShapes(expected, found, 'ckpt/model.safetensors');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(/^ckpt\/model.safetensors: /);
    expect(message).toContain('4 missing: vision_model.encoder.layers.0.layer_norm1.weight');
    expect(message).toContain('(+1 more)');
    expect(message).toContain('1 unexpected: vision_model.extra');
    expect(message).toContain('vision_model.encoder.layers.0.mlp.fc1.weight is [16, 24], expected [24, 16]');
  });
});

describe('randomClipParams', () => {
  it('is deterministic per seed and has CLIP-like scales', () => {
    const a = randomClipParams(config, 1);
    const b = randomClipParams(config, 1);
    const c = randomClipParams(config, 2);
    const name = 'vision_model.encoder.layers.0.mlp.fc1.weight';
    expect(a.get(name)!.data).toEqual(b.get(name)!.data);
    expect(a.get(name)!.data).not.toEqual(c.get(name)!.data);
    const big = randomClipParams({ ...config, intermediateSize: 4096 }, 3).get(name)!.data as Float32Array;
    const mean = big.reduce((s, v) => s + v, 0) / big.length;
    const std = Math.sqrt(big.reduce((s, v) => s + (v - mean) ** 2, 0) / big.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeCloseTo((2 * 16) ** -0.5, 2);
    const norm = a.get('vision_model.post_layernorm.weight')!.data as Float32Array;
    expect(norm.reduce((s, v) => s + v, 0) / norm.length).toBeCloseTo(1, 1);
  });

  it('normalSampler has unit variance', () => {
    const normal = normalSampler(7);
    let sum = 0;
    let sq = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const v = normal();
      sum += v;
      sq += v * v;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(sq / n).toBeCloseTo(1, 1);
  });

  it('withZeroed zeroes only the named tensors', () => {
    const params = randomClipParams(config, 4);
    const zeroed = withZeroed(params, ['vision_model.post_layernorm.bias']);
    expect([...zeroed.get('vision_model.post_layernorm.bias')!.data].every((v) => v === 0)).toBe(true);
    expect(zeroed.get('vision_model.pre_layrnorm.bias')).toBe(params.get('vision_model.pre_layrnorm.bias'));
    expect(() => withZeroed(params, ['nope'])).toThrow(/no parameter named nope/);
  });
});
