import { describe, expect, it } from 'vitest';
import {
  CLIP_VIT_B_32,
  CLIP_VIT_L_14,
  clipForwardFlops,
  clipVisionConfigJson,
  headDim,
  numPatches,
  parseClipVisionConfig,
} from '../../../src/models/clip-vision/config.js';
import { clipParamCount } from '../../../src/models/clip-vision/params.js';

const tiny = {
  model_type: 'clip_vision_model',
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_channels: 3,
  image_size: 8,
  patch_size: 4,
};

describe('parseClipVisionConfig', () => {
  it('reads a clip_vision_model config and fills HF defaults', () => {
    const config = parseClipVisionConfig(tiny);
    expect(config).toMatchObject({ hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 2, patchSize: 4 });
    expect(config.layerNormEps).toBe(1e-5);
    expect(config.hiddenAct).toBe('quick_gelu');
    expect(numPatches(config)).toBe(4);
    expect(headDim(config)).toBe(4);
  });

  it('takes vision_config and the top-level projection_dim of a full CLIPModel config', () => {
    const full = {
      model_type: 'clip',
      projection_dim: 24,
      vision_config: { ...tiny, model_type: undefined },
    };
    expect(parseClipVisionConfig(full)).toMatchObject({ hiddenSize: 16, projectionDim: 24 });
  });

  it('round-trips through the HF JSON form', () => {
    expect(parseClipVisionConfig(clipVisionConfigJson(CLIP_VIT_L_14))).toEqual(CLIP_VIT_L_14);
  });

  it('knows ViT-B/32 and L/14 sizes', () => {
    expect(numPatches(CLIP_VIT_B_32)).toBe(49);
    expect(numPatches(CLIP_VIT_L_14)).toBe(256);
    // openai/clip-vit-base-patch32: 87,849,216 with visual_projection (768·512 = 393,216).
    expect(clipParamCount(CLIP_VIT_B_32)).toBe(87_849_216 - 393_216);
  });

  it('counts forward FLOPs from the shapes', () => {
    // B/32: 49 patches of 3·32·32 → 768, then 12 blocks over 50 tokens.
    const patch = 2 * 49 * 768 * 3072;
    const block = 2 * 50 * 768 * 768 * 4 + 2 * 50 * 50 * 768 * 2 + 2 * 50 * 768 * 3072 * 2;
    expect(clipForwardFlops(CLIP_VIT_B_32)).toBe(patch + 12 * block);
    expect(clipForwardFlops(CLIP_VIT_B_32) / 1e9).toBeCloseTo(8.82, 2);
    expect(clipForwardFlops(CLIP_VIT_L_14) / 1e9).toBeCloseTo(162.0, 1);
  });

  it('rejects bad fields with one line naming the file and field', () => {
    expect(() => parseClipVisionConfig({ ...tiny, hidden_size: -3 }, 'm/config.json')).toThrow(
      /^m\/config.json: field hidden_size = -3: /,
    );
    expect(() => parseClipVisionConfig({ ...tiny, hidden_act: 'relu' }, 'c.json')).toThrow(
      /hidden_act = "relu"/,
    );
    expect(() => parseClipVisionConfig({ ...tiny, num_attention_heads: 3 })).toThrow(
      /not a multiple of num_attention_heads 3/,
    );
    expect(() => parseClipVisionConfig({ ...tiny, image_size: 10 })).toThrow(
      /image_size 10 is not a multiple of patch_size 4/,
    );
    expect(() => parseClipVisionConfig({ ...tiny, model_type: 'bert' })).toThrow(/model_type "bert"/);
    expect(() => parseClipVisionConfig([])).toThrow(/expected a JSON object/);
    expect(() => parseClipVisionConfig({ model_type: 'clip' })).toThrow(/needs a vision_config/);
  });
});
