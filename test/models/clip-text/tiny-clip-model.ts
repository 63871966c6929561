/** A tiny random full CLIPModel folder (both towers, tokenizer files) as the Hub holds them. */

import { saveClipModel } from '../../../src/models/clip-model.js';
import { parseClipTextConfig } from '../../../src/models/clip-text/config.js';
import { randomClipTextParams } from '../../../src/models/clip-text/params.js';
import { parseClipVisionConfig } from '../../../src/models/clip-vision/config.js';
import { normalSampler, randomClipParams } from '../../../src/models/clip-vision/params.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { TINY_VOCAB_SIZE, writeTokenizerJson, writeVocabAndMerges } from '../tokenizers/tiny-vocab.js';

export const TINY_CLIP_JSON = {
  model_type: 'clip',
  projection_dim: 8,
  vision_config: {
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    image_size: 8,
    patch_size: 4,
  },
  text_config: {
    vocab_size: TINY_VOCAB_SIZE,
    hidden_size: 12,
    intermediate_size: 20,
    num_hidden_layers: 2,
    num_attention_heads: 3,
    max_position_embeddings: 77,
    eos_token_id: 521,
    bos_token_id: 520,
  },
};

export interface TinyClipOptions {
  readonly tokenizer?: 'tokenizer.json' | 'vocab.json';
  readonly dtype?: 'F32' | 'F16' | 'BF16';
  /** text_config.eos_token_id (2: the legacy argmax rule of the openai checkpoints). */
  readonly eosTokenId?: number;
  readonly seed?: number;
}

/** Writes the folder; returns its configs and float32 parameters (before any dtype rounding). */
export function writeTinyClipModel(dir: string, options: TinyClipOptions = {}) {
  const json = {
    ...TINY_CLIP_JSON,
    text_config: { ...TINY_CLIP_JSON.text_config, eos_token_id: options.eosTokenId ?? 521 },
  };
  const vision = parseClipVisionConfig(json);
  const text = parseClipTextConfig(json);
  const seed = options.seed ?? 3;
  const normal = normalSampler(seed + 100);
  const visualProjection: Tensor = {
    dtype: 'F32',
    shape: [8, 16],
    data: Float32Array.from({ length: 128 }, () => normal() * 0.25),
  };
  const params = new Map<string, Tensor>([
    ...randomClipTextParams(text, seed),
    ...randomClipParams(vision, seed + 1),
    ['visual_projection.weight', visualProjection],
    ['logit_scale', { dtype: 'F32', shape: [], data: Float32Array.of(Math.log(100)) }],
  ]);
  saveClipModel(dir, { vision, text }, params, { dtype: options.dtype });
  if (options.tokenizer === 'vocab.json') writeVocabAndMerges(dir);
  else writeTokenizerJson(dir);
  return { vision, text, params };
}
