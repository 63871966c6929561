/**
 * The CLIP text transformer's configuration, read from a full CLIPModel config.json (`text_config`,
 * `projection_dim` at the top level) or a `clip_text_model` config. Missing fields take Hugging Face's
 * CLIPTextConfig defaults (ViT-B/32's text tower).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { WemoeError } from '../../errors.js';
import { CONFIG_FILE, readConfig } from '../../io/checkpoint.js';
import type { HiddenAct } from '../clip-vision/block.js';

export interface ClipTextConfig {
  /** V: rows of the token embedding. */
  readonly vocabSize: number;
  /** D: width of every token (512 for ViT-B/32's text tower). */
  readonly hiddenSize: number;
  /** I: hidden width of each block's MLP. */
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  /** D must be a multiple of it. */
  readonly numAttentionHeads: number;
  /** Context length: rows of the position embedding (77). */
  readonly maxPositionEmbeddings: number;
  readonly layerNormEps: number;
  readonly hiddenAct: HiddenAct;
  /** E: width of text_projection's output. */
  readonly projectionDim: number;
  /** The pooled token: the first `eos_token_id`; the legacy value 2 means "the largest id" (argmax). */
  readonly eosTokenId: number;
  readonly bosTokenId: number;
  readonly padTokenId: number;
}

/** Hugging Face's CLIPTextConfig defaults. */
export const CLIP_TEXT_DEFAULTS: ClipTextConfig = {
  vocabSize: 49408,
  hiddenSize: 512,
  intermediateSize: 2048,
  numHiddenLayers: 12,
  numAttentionHeads: 8,
  maxPositionEmbeddings: 77,
  layerNormEps: 1e-5,
  hiddenAct: 'quick_gelu',
  projectionDim: 512,
  eosTokenId: 49407,
  bosTokenId: 49406,
  padTokenId: 1,
};

const positiveInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative();

const textJsonSchema = z.object({
  vocab_size: positiveInt.optional(),
  hidden_size: positiveInt.optional(),
  intermediate_size: positiveInt.optional(),
  num_hidden_layers: positiveInt.optional(),
  num_attention_heads: positiveInt.optional(),
  max_position_embeddings: positiveInt.optional(),
  layer_norm_eps: z.number().positive().optional(),
  hidden_act: z.enum(['quick_gelu', 'gelu']).optional(),
  projection_dim: positiveInt.optional(),
  eos_token_id: tokenId.optional(),
  bos_token_id: tokenId.optional(),
  pad_token_id: tokenId.optional(),
});

function fail(source: string, message: string): never {
  throw new WemoeError(`${source}: ${message}`);
}

/** The text part of a config.json object and the projection width that goes with it. */
function textPart(json: unknown, source: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(source, 'expected a JSON object (a CLIPModel config.json)');
  }
  const record = json as Record<string, unknown>;
  if (record.model_type === 'clip') {
    const text = record.text_config ?? {};
    if (typeof text !== 'object' || text === null || Array.isArray(text)) {
      fail(source, 'text_config: expected an object');
    }
    // A CLIPModel keeps the projection width at its top level; text_config's own is the fallback.
    const own = (text as Record<string, unknown>).projection_dim;
    return { ...text, projection_dim: record.projection_dim ?? own };
  }
  if (record.model_type === 'clip_text_model') return record;
  fail(
    source,
    `model_type ${JSON.stringify(record.model_type)}: the text tower needs a full CLIPModel config ("clip") or "clip_text_model"`,
  );
}

/** Validates a parsed config.json; `source` (the file) names it in errors. */
export function parseClipTextConfig(json: unknown, source = 'config.json'): ClipTextConfig {
  const text = textPart(json, source);
  const parsed = textJsonSchema.safeParse(text);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0]);
    fail(source, `text_config.${key} = ${JSON.stringify(text[key])}: ${issue.message}`);
  }
  const t = parsed.data;
  const d = CLIP_TEXT_DEFAULTS;
  const config: ClipTextConfig = {
    vocabSize: t.vocab_size ?? d.vocabSize,
    hiddenSize: t.hidden_size ?? d.hiddenSize,
    intermediateSize: t.intermediate_size ?? d.intermediateSize,
    numHiddenLayers: t.num_hidden_layers ?? d.numHiddenLayers,
    numAttentionHeads: t.num_attention_heads ?? d.numAttentionHeads,
    maxPositionEmbeddings: t.max_position_embeddings ?? d.maxPositionEmbeddings,
    layerNormEps: t.layer_norm_eps ?? d.layerNormEps,
    hiddenAct: t.hidden_act ?? d.hiddenAct,
    projectionDim: t.projection_dim ?? d.projectionDim,
    eosTokenId: t.eos_token_id ?? d.eosTokenId,
    bosTokenId: t.bos_token_id ?? d.bosTokenId,
    padTokenId: t.pad_token_id ?? d.padTokenId,
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    fail(
      source,
      `text_config.hidden_size ${config.hiddenSize} is not a multiple of num_attention_heads ${config.numAttentionHeads}`,
    );
  }
  return config;
}

/** Reads and validates the text tower's config from `dir/config.json`. */
export function readClipTextConfig(dir: string): ClipTextConfig {
  return parseClipTextConfig(readConfig(dir), join(dir, CONFIG_FILE));
}

/** Whether a parsed config.json is a full CLIPModel's (both towers). */
export function isFullClipConfig(json: Record<string, unknown>): boolean {
  return json.model_type === 'clip';
}
