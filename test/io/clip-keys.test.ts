import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { clipVisionView } from '../../src/io/clip-keys.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';
import { tempDir } from './helpers.js';

const dir = tempDir('clip-keys');

/** The vision tensors of a one-layer CLIP (D = 2), each filled with its index so reads can be told apart. */
const visionKeys = [
  'embeddings.class_embedding',
  'embeddings.patch_embedding.weight',
  'embeddings.position_embedding.weight',
  'pre_layrnorm.weight',
  'encoder.layers.0.self_attn.q_proj.weight',
  'encoder.layers.0.mlp.fc1.bias',
  'post_layernorm.bias',
];
const vision = (prefix: string) =>
  Object.fromEntries(visionKeys.map((k, i) => [prefix + k, float32([2], [i, -i])])) as Record<string, Tensor>;
const canonical = visionKeys.map((k) => `vision_model.${k}`);

function save(name: string, tensors: Record<string, Tensor>): string {
  const path = join(dir, name, 'model.safetensors');
  saveSafetensors(path, tensors);
  return join(dir, name);
}

describe('CLIP vision key resolution', () => {
  it('passes a prefixed CLIPVisionModel through', () => {
    const view = clipVisionView(openCheckpoint(save('prefixed', vision('vision_model.'))));
    expect(view.layout).toBe('clip_vision_model');
    expect(view.names()).toEqual(canonical);
    expect([...view.readF32('vision_model.pre_layrnorm.weight')]).toEqual([3, -3]);
    view.close();
  });

  it('adds the prefix to an unprefixed checkpoint (keeping visual_projection and logit_scale)', () => {
    const tensors = {
      ...vision(''),
      'visual_projection.weight': float32([1, 2], [7, 8]),
      logit_scale: float32([], [4.6]),
    };
    const view = clipVisionView(openCheckpoint(save('bare', tensors)));
    expect(view.layout).toBe('clip_vision_model_unprefixed');
    expect(view.names()).toEqual([...canonical, 'visual_projection.weight', 'logit_scale']);
    expect([...view.readF32('vision_model.post_layernorm.bias')]).toEqual([6, -6]);
    expect(view.read('vision_model.embeddings.class_embedding').data).toEqual(Float32Array.from([0, -0]));
    expect(view.info('vision_model.encoder.layers.0.mlp.fc1.bias')).toEqual({
      name: 'vision_model.encoder.layers.0.mlp.fc1.bias',
      dtype: 'F32',
      shape: [2],
    });
    expect(view.storedName('vision_model.pre_layrnorm.weight')).toBe('pre_layrnorm.weight');
    expect(view.has('pre_layrnorm.weight')).toBe(false);
    expect(() => view.read('pre_layrnorm.weight')).toThrow(
      /no CLIP vision tensor named "pre_layrnorm.weight" \(layout clip_vision_model_unprefixed\)/,
    );
    view.close();
  });

  it('takes the vision part of a full CLIPModel and drops the text tower and position_ids', () => {
    const tensors = {
      'text_model.embeddings.token_embedding.weight': float32([3, 2]),
      'text_model.embeddings.position_ids': {
        dtype: 'I64' as const,
        shape: [1, 2],
        data: BigInt64Array.from([0n, 1n]),
      },
      'text_projection.weight': float32([2, 2]),
      ...vision('vision_model.'),
      'vision_model.embeddings.position_ids': {
        dtype: 'I64' as const,
        shape: [1, 2],
        data: BigInt64Array.from([0n, 1n]),
      },
      'visual_projection.weight': float32([1, 2], [7, 8]),
      logit_scale: float32([], [4.6]),
    };
    const view = clipVisionView(openCheckpoint(save('full', tensors)));
    expect(view.layout).toBe('clip_model');
    expect(view.names()).toEqual([...canonical, 'visual_projection.weight', 'logit_scale']);
    expect([...view.readF32('visual_projection.weight')]).toEqual([7, 8]);
    expect(view.readF32('logit_scale')[0]).toBeCloseTo(4.6, 6);
    view.close();
  });

  it('rejects checkpoints with no or both patch embeddings', () => {
    const none = openCheckpoint(save('none', { 'other.weight': float32([1]) }));
    expect(() => clipVisionView(none)).toThrow(
      /none\/model\.safetensors: not a CLIP vision checkpoint: has neither/,
    );
    none.close();
    const both = openCheckpoint(save('both', { ...vision(''), ...vision('vision_model.') }));
    expect(() => clipVisionView(both)).toThrow(/not a CLIP vision checkpoint: has both/);
    both.close();
  });
});
