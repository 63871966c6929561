/**
 * The CLIP vision transformer's configuration, read from a Hugging Face config.json: either a
 * `clip_vision_model` config or a full CLIPModel config with the vision part under `vision_config`.
 * Missing fields take Hugging Face's CLIPVisionConfig defaults (ViT-B/32).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { WemoeError } from '../../errors.js';
import { CONFIG_FILE, readConfig } from '../../io/checkpoint.js';

import type { HiddenAct } from './block.js';

export type { HiddenAct };

export interface ClipVisionConfig {
  /** D: width of every token (768 for ViT-B, 1024 for ViT-L). */
  readonly hiddenSize: number;
  /** I: hidden width of each block's MLP (fc1: D → I, fc2: I → D). */
  readonly intermediateSize: number;
  /** Number of transformer blocks (encoder.layers.0 .. L−1). */
  readonly numHiddenLayers: number;
  /** Attention heads per block; D must be a multiple of it (head_dim = D / heads). */
  readonly numAttentionHeads: number;
  /** C: channels of pixel_values (3 for RGB). */
  readonly numChannels: number;
  /** H = W: side of the square input image in pixels. */
  readonly imageSize: number;
  /** P: side of a square patch; imageSize must be a multiple of it. */
  readonly patchSize: number;
  /** Epsilon of every LayerNorm. */
  readonly layerNormEps: number;
  /** MLP activation: quick_gelu(x) = x·sigmoid(1.702x) (CLIP), or the exact erf gelu. */
  readonly hiddenAct: HiddenAct;
  /** E: width of visual_projection's output in a full CLIPModel (heads of kind clip_zeroshot). */
  readonly projectionDim: number;
}

/** Hugging Face's CLIPVisionConfig defaults. */
export const CLIP_VISION_DEFAULTS: ClipVisionConfig = {
  hiddenSize: 768,
  intermediateSize: 3072,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  numChannels: 3,
  imageSize: 224,
  patchSize: 32,
  layerNormEps: 1e-5,
  hiddenAct: 'quick_gelu',
  projectionDim: 512,
};

const positiveInt = z.number().int().positive();

/** The JSON form (Hugging Face's snake_case names); other keys (e.g. `wemoe`) are ignored. */
const visionJsonSchema = z.object({
  hidden_size: positiveInt.optional(),
  intermediate_size: positiveInt.optional(),
  num_hidden_layers: positiveInt.optional(),
  num_attention_heads: positiveInt.optional(),
  num_channels: positiveInt.optional(),
  image_size: positiveInt.optional(),
  patch_size: positiveInt.optional(),
  layer_norm_eps: z.number().positive().optional(),
  hidden_act: z.enum(['quick_gelu', 'gelu']).optional(),
  projection_dim: positiveInt.optional(),
});

type VisionJson = z.infer<typeof visionJsonSchema>;

function fail(source: string, message: string): never {
  throw new WemoeError(`${source}: ${message}`);
}

/** The vision part of a config.json object: itself, or `vision_config` of a full CLIPModel config. */
function visionPart(json: unknown, source: string): { vision: unknown; projectionDim: unknown } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(source, 'expected a JSON object (a CLIP vision config.json)');
  }
  const record = json as Record<string, unknown>;
  if (record.model_type === 'clip') {
    if (typeof record.vision_config !== 'object' || record.vision_config === null) {
      fail(source, 'model_type "clip" needs a vision_config object');
    }
    // In a full CLIPModel the projection width lives at the top level.
    return { vision: record.vision_config, projectionDim: record.projection_dim };
  }
  if (record.model_type !== undefined && record.model_type !== 'clip_vision_model') {
    fail(source, `model_type ${JSON.stringify(record.model_type)} is not "clip_vision_model" or "clip"`);
  }
  return { vision: record, projectionDim: record.projection_dim };
}

function checkDivisibility(config: ClipVisionConfig, source: string): void {
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    fail(
      source,
      `hidden_size ${config.hiddenSize} is not a multiple of num_attention_heads ${config.numAttentionHeads}`,
    );
  }
  if (config.imageSize % config.patchSize !== 0) {
    fail(source, `image_size ${config.imageSize} is not a multiple of patch_size ${config.patchSize}`);
  }
}

/** Validates a parsed config.json; `source` (the file) names it in errors. */
export function parseClipVisionConfig(json: unknown, source = 'config.json'): ClipVisionConfig {
  const { vision, projectionDim } = visionPart(json, source);
  const parsed = visionJsonSchema.safeParse({ ...(vision as object), projection_dim: projectionDim });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const value = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown>)?.[k], vision);
    fail(source, `field ${issue.path.join('.')} = ${JSON.stringify(value)}: ${issue.message}`);
  }
  const v: VisionJson = parsed.data;
  const d = CLIP_VISION_DEFAULTS;
  const config: ClipVisionConfig = {
    hiddenSize: v.hidden_size ?? d.hiddenSize,
    intermediateSize: v.intermediate_size ?? d.intermediateSize,
    numHiddenLayers: v.num_hidden_layers ?? d.numHiddenLayers,
    numAttentionHeads: v.num_attention_heads ?? d.numAttentionHeads,
    numChannels: v.num_channels ?? d.numChannels,
    imageSize: v.image_size ?? d.imageSize,
    patchSize: v.patch_size ?? d.patchSize,
    layerNormEps: v.layer_norm_eps ?? d.layerNormEps,
    hiddenAct: v.hidden_act ?? d.hiddenAct,
    projectionDim: v.projection_dim ?? d.projectionDim,
  };
  checkDivisibility(config, source);
  return config;
}

/** Reads and validates `dir/config.json`. */
export function readClipVisionConfig(dir: string): ClipVisionConfig {
  return parseClipVisionConfig(readConfig(dir), join(dir, CONFIG_FILE));
}

/** The config.json object Hugging Face's CLIPVisionModel loads. */
export function clipVisionConfigJson(config: ClipVisionConfig): Record<string, unknown> {
  return {
    architectures: ['CLIPVisionModel'],
    model_type: 'clip_vision_model',
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    num_channels: config.numChannels,
    image_size: config.imageSize,
    patch_size: config.patchSize,
    layer_norm_eps: config.layerNormEps,
    hidden_act: config.hiddenAct,
    projection_dim: config.projectionDim,
    torch_dtype: 'float32',
  };
}

/** Number of patch tokens N = (H/P)²; the sequence has N + 1 tokens with the class token. */
export function numPatches(config: ClipVisionConfig): number {
  return (config.imageSize / config.patchSize) ** 2;
}

export function headDim(config: ClipVisionConfig): number {
  return config.hiddenSize / config.numAttentionHeads;
}

/** Builds a config from defaults plus overrides, validated (for tests and benchmarks). */
export function clipVisionConfig(overrides: Partial<ClipVisionConfig> = {}): ClipVisionConfig {
  const config = { ...CLIP_VISION_DEFAULTS, ...overrides };
  return parseClipVisionConfig(clipVisionConfigJson(config), 'clipVisionConfig(overrides)');
}

/** openai/clip-vit-base-patch32's vision tower. */
export const CLIP_VIT_B_32: ClipVisionConfig = clipVisionConfig();
/** openai/clip-vit-base-patch16's vision tower. */
export const CLIP_VIT_B_16: ClipVisionConfig = clipVisionConfig({ patchSize: 16 });
/** openai/clip-vit-large-patch14's vision tower. */
export const CLIP_VIT_L_14: ClipVisionConfig = clipVisionConfig({
  hiddenSize: 1024,
  intermediateSize: 4096,
  numHiddenLayers: 24,
  numAttentionHeads: 16,
  patchSize: 14,
  projectionDim: 768,
});

/**
 * Floating-point operations (multiply + add = 2) of one image's forward: patch embedding, and per block
 * the four D×D projections, the two attention matmuls and the MLP (norms and softmax are negligible).
 */
export function clipForwardFlops(config: ClipVisionConfig): number {
  const { hiddenSize: d, intermediateSize: i, numChannels: c, patchSize: p } = config;
  const n = numPatches(config);
  const t = n + 1;
  const perBlock = 2 * t * d * d * 4 + 2 * t * t * d * 2 + 2 * t * d * i * 2;
  return 2 * n * d * c * p * p + config.numHiddenLayers * perBlock;
}
