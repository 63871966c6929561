/**
 * T5's configuration, read from a Hugging Face config.json (`model_type: t5`). Missing fields take
 * Hugging Face's T5Config defaults (t5-small); `feed_forward_proj` picks v1.0 (`relu`) or v1.1 /
 * Flan-T5 (`gated-gelu`, i.e. gelu_new on the gate).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { WemoeError } from '../../errors.js';
import { CONFIG_FILE, readConfig } from '../../io/checkpoint.js';

/** Activation of the feed-forward module (Hugging Face's ACT2FN names). */
export type T5Act = 'relu' | 'gelu' | 'gelu_new' | 'silu';

export interface T5Config {
  /** V: rows of the shared embedding and of lm_head. */
  readonly vocabSize: number;
  /** D: width of every token. */
  readonly dModel: number;
  /** Width of one attention head; the heads' inner width is numHeads · dKv (need not equal D). */
  readonly dKv: number;
  /** F: hidden width of the feed-forward module. */
  readonly dFf: number;
  /** Encoder blocks. */
  readonly numLayers: number;
  /** Decoder blocks (Hugging Face: defaults to num_layers). */
  readonly numDecoderLayers: number;
  readonly numHeads: number;
  /** Buckets of the relative position bias (split in halves by direction in the encoder). */
  readonly relativeAttentionNumBuckets: number;
  /** Relative distances from here on share the last bucket. */
  readonly relativeAttentionMaxDistance: number;
  /** Epsilon of every RMS layer norm. */
  readonly layerNormEpsilon: number;
  /** The feed-forward activation. */
  readonly denseActFn: T5Act;
  /** true: gated (T5DenseGatedActDense), wo(act(wi_0 x) · wi_1 x); false: wo(act(wi x)). Both stored under `DenseReluDense.`. */
  readonly isGatedAct: boolean;
  /** Tied: lm_head is the shared embedding and the decoder output is scaled by D^-0.5 first. */
  readonly tieWordEmbeddings: boolean;
  readonly padTokenId: number;
  readonly eosTokenId: number;
  /** The first decoder input (T5: the pad id). */
  readonly decoderStartTokenId: number;
  /** config.json's own `feed_forward_proj`, written back on save. */
  readonly feedForwardProj: string;
}

const positiveInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative();

const t5JsonSchema = z.object({
  vocab_size: positiveInt.optional(),
  d_model: positiveInt.optional(),
  d_kv: positiveInt.optional(),
  d_ff: positiveInt.optional(),
  num_layers: positiveInt.optional(),
  num_decoder_layers: positiveInt.nullable().optional(),
  num_heads: positiveInt.optional(),
  relative_attention_num_buckets: positiveInt.optional(),
  relative_attention_max_distance: positiveInt.optional(),
  layer_norm_epsilon: z.number().positive().optional(),
  feed_forward_proj: z.string().optional(),
  tie_word_embeddings: z.boolean().optional(),
  pad_token_id: tokenId.optional(),
  eos_token_id: tokenId.optional(),
  decoder_start_token_id: tokenId.optional(),
});

const ACTS: readonly T5Act[] = ['relu', 'gelu', 'gelu_new', 'silu'];

function fail(source: string, message: string): never {
  throw new WemoeError(`${source}: ${message}`);
}

/** Hugging Face's reading of feed_forward_proj: `[gated-]ACT`, with `gated-gelu` meaning gelu_new. */
function parseFeedForward(proj: string, source: string): { act: T5Act; gated: boolean } {
  const parts = proj.split('-');
  const gated = parts[0] === 'gated';
  if (parts.length > 2 || (parts.length === 2 && !gated)) {
    fail(source, `feed_forward_proj ${JSON.stringify(proj)}: expected ACT or gated-ACT`);
  }
  const name = proj === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1];
  if (!ACTS.includes(name as T5Act)) {
    fail(
      source,
      `feed_forward_proj ${JSON.stringify(proj)}: activation ${name} is not one of ${ACTS.join(', ')}`,
    );
  }
  return { act: name as T5Act, gated };
}

/** Validates a parsed config.json; `source` (the file) names it in errors. */
export function parseT5Config(json: unknown, source = 'config.json'): T5Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail(source, 'expected a JSON object');
  const record = json as Record<string, unknown>;
  if (record.model_type !== 't5') fail(source, `model_type ${JSON.stringify(record.model_type)} is not "t5"`);
  const parsed = t5JsonSchema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.');
    fail(source, `field ${key} = ${JSON.stringify(record[key])}: ${issue.message}`);
  }
  const j = parsed.data;
  const feedForwardProj = j.feed_forward_proj ?? 'relu';
  const { act, gated } = parseFeedForward(feedForwardProj, source);
  const numLayers = j.num_layers ?? 6;
  const padTokenId = j.pad_token_id ?? 0;
  const config: T5Config = {
    vocabSize: j.vocab_size ?? 32128,
    dModel: j.d_model ?? 512,
    dKv: j.d_kv ?? 64,
    dFf: j.d_ff ?? 2048,
    numLayers,
    numDecoderLayers: j.num_decoder_layers ?? numLayers,
    numHeads: j.num_heads ?? 8,
    relativeAttentionNumBuckets: j.relative_attention_num_buckets ?? 32,
    relativeAttentionMaxDistance: j.relative_attention_max_distance ?? 128,
    layerNormEpsilon: j.layer_norm_epsilon ?? 1e-6,
    denseActFn: act,
    isGatedAct: gated,
    tieWordEmbeddings: j.tie_word_embeddings ?? true,
    padTokenId,
    eosTokenId: j.eos_token_id ?? 1,
    decoderStartTokenId: j.decoder_start_token_id ?? padTokenId,
    feedForwardProj,
  };
  for (const [field, id] of [
    ['pad_token_id', config.padTokenId],
    ['eos_token_id', config.eosTokenId],
    ['decoder_start_token_id', config.decoderStartTokenId],
  ] as const) {
    if (id >= config.vocabSize) fail(source, `${field} ${id} is not below vocab_size ${config.vocabSize}`);
  }
  return config;
}

/** Whether a config.json object describes a T5 model. */
export function isT5ConfigJson(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as Record<string, unknown>).model_type === 't5';
}

/** Reads and validates `dir/config.json`. */
export function readT5Config(dir: string): T5Config {
  return parseT5Config(readConfig(dir), join(dir, CONFIG_FILE));
}

/** The config.json object Hugging Face's T5ForConditionalGeneration loads. */
export function t5ConfigJson(config: T5Config): Record<string, unknown> {
  return {
    architectures: ['T5ForConditionalGeneration'],
    model_type: 't5',
    vocab_size: config.vocabSize,
    d_model: config.dModel,
    d_kv: config.dKv,
    d_ff: config.dFf,
    num_layers: config.numLayers,
    num_decoder_layers: config.numDecoderLayers,
    num_heads: config.numHeads,
    relative_attention_num_buckets: config.relativeAttentionNumBuckets,
    relative_attention_max_distance: config.relativeAttentionMaxDistance,
    layer_norm_epsilon: config.layerNormEpsilon,
    feed_forward_proj: config.feedForwardProj,
    tie_word_embeddings: config.tieWordEmbeddings,
    pad_token_id: config.padTokenId,
    eos_token_id: config.eosTokenId,
    decoder_start_token_id: config.decoderStartTokenId,
    is_encoder_decoder: true,
    torch_dtype: 'float32',
  };
}

/** The heads' inner width numHeads · dKv (the q/k/v output width). */
export function innerDim(config: T5Config): number {
  return config.numHeads * config.dKv;
}
