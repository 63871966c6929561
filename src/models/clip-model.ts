/**
 * A full Hugging Face CLIPModel folder (vision and text towers, visual_projection, text_projection,
 * logit_scale, config.json with vision_config and text_config), as transformers' CLIPModel saves it.
 */
import { writeCheckpoint, writeConfig } from '../io/checkpoint.js';
import { convertTensor } from '../tensor/convert.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ClipTextConfig } from './clip-text/config.js';
import { clipTextParamShapes } from './clip-text/params.js';
import { type ClipVisionConfig, clipVisionConfigJson } from './clip-vision/config.js';
import { checkParamShapes, clipParamShapes } from './clip-vision/params.js';

/** ln(1/0.07): CLIP's initial logit_scale. */
export const LOGIT_SCALE_INIT = 2.6592;

/** The config.json of a CLIPModel; the projection width is the vision config's `projectionDim`. */
export function clipModelConfigJson(vision: ClipVisionConfig, text: ClipTextConfig): Record<string, unknown> {
  // The vision part as CLIPVisionConfig writes it, less the keys that belong to the top level.
  const visionJson = clipVisionConfigJson(vision);
  delete visionJson.architectures;
  delete visionJson.torch_dtype;
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: vision.projectionDim,
    logit_scale_init_value: LOGIT_SCALE_INIT,
    torch_dtype: 'float32',
    text_config: {
      model_type: 'clip_text_model',
      vocab_size: text.vocabSize,
      hidden_size: text.hiddenSize,
      intermediate_size: text.intermediateSize,
      num_hidden_layers: text.numHiddenLayers,
      num_attention_heads: text.numAttentionHeads,
      max_position_embeddings: text.maxPositionEmbeddings,
      layer_norm_eps: text.layerNormEps,
      hidden_act: text.hiddenAct,
      projection_dim: text.projectionDim,
      bos_token_id: text.bosTokenId,
      eos_token_id: text.eosTokenId,
      pad_token_id: text.padTokenId,
    },
    vision_config: visionJson,
  };
}

/** Every CLIPModel tensor's name and shape: vision tower, text tower, both projections, logit_scale. */
export function clipModelParamShapes(vision: ClipVisionConfig, text: ClipTextConfig): Map<string, number[]> {
  return new Map([
    ...clipTextParamShapes(text),
    ...clipParamShapes(vision),
    ['visual_projection.weight', [vision.projectionDim, vision.hiddenSize]],
    ['logit_scale', []],
  ]);
}

export interface SaveClipModelOptions {
  /** Stored dtype of the float tensors (default F32). */
  readonly dtype?: 'F32' | 'F16' | 'BF16';
}

/** Writes model.safetensors (`format: pt`) and config.json of a CLIPModel; every tensor is checked. */
export function saveClipModel(
  dir: string,
  configs: { readonly vision: ClipVisionConfig; readonly text: ClipTextConfig },
  params: ReadonlyMap<string, Tensor>,
  options: SaveClipModelOptions = {},
): void {
  const dtype = options.dtype ?? 'F32';
  const shapes = clipModelParamShapes(configs.vision, configs.text);
  checkParamShapes(shapes, new Map([...params].map(([n, t]) => [n, t.shape])), dir);
  writeConfig(dir, clipModelConfigJson(configs.vision, configs.text));
  const entries = [...shapes].map(([name, shape]) => ({ name, dtype, shape }));
  writeCheckpoint(dir, entries, (name) => convertTensor(params.get(name)!, dtype));
}
