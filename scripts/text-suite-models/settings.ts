/**
 * The text suite's model recipe: the tiny T5 config, the tokenizer's size and every training
 * hyperparameter, in one place so that the build is reproducible from this file and a seed.
 */
import { parseT5Config, type T5Config } from '../../src/models/t5/config.js';

/** Ids in the tokenizer: `<pad>`, `</s>`, `<unk>`, the Unigram pieces and the sentinels. */
export const VOCAB_SIZE = 4096;
/** The tokenizer trains on every 3rd corpus text (5 MB; the whole 15 MB took 8 minutes at load 12). */
export const TOKENIZER_CORPUS_STRIDE = 3;
/** Span sentinels `<extra_id_0..15>` (the last ids, as T5's). */
export const SENTINELS = 16;

/**
 * T5 v1.1's shape (gated-gelu, pre-norm, relative position buckets) at 1.7 M parameters: d_model 128,
 * 4 + 4 blocks, 4 heads of 16, feed-forward 256, the head tied to the embedding (T5 v1.0's choice, which
 * halves the embedding's share of the stored size). Nine such models in F16 are 31 MB, inside the suite's
 * 40 MB with its 6 MB of data; a training step of 32 examples (64 source tokens) took 0.6 s on the 2 shared cores at load 4.
 */
export const TEXT_SUITE_T5_CONFIG: T5Config = parseT5Config({
  model_type: 't5',
  vocab_size: VOCAB_SIZE,
  d_model: 128,
  d_kv: 16,
  d_ff: 256,
  num_layers: 4,
  num_decoder_layers: 4,
  num_heads: 4,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  layer_norm_epsilon: 1e-6,
  feed_forward_proj: 'gated-gelu',
  tie_word_embeddings: true,
  pad_token_id: 0,
  eos_token_id: 1,
  decoder_start_token_id: 0,
});

export const SEED = 26;
/** ORT intra-op threads for every stage (the machine the recipe targets has 2 cores). */
export const THREADS = 2;
/** Every model is stored in F16 (loaded as F32): nine models must fit the suite's size budget. */
export const STORED_DTYPE = 'F16';
/** Prompts are cut to this many tokens (`</s>` kept), in training only. */
export const MAX_SOURCE_TOKENS = 96;

/** Span corruption as T5's: 15% of the tokens in spans of mean length 3. */
export const SPAN_CORRUPTION = { density: 0.15, meanSpan: 3 } as const;

/**
 * Pre-training: span corruption on the corpus mixed with the instruction tasks (instructions.ts). 6,000
 * steps of 32: 144,000 span-corruption examples, 1.4 passes over the corpus's 104,509 documents (600 steps,
 * 14 % of a pass, left the model at chance on every task and its experts 6.7 points above it).
 */
export const PRETRAIN = {
  steps: 6000,
  batchSize: 32,
  /** Examples of each batch from the instruction mixture (the rest: span corruption). */
  instructionShare: 0.25,
  /** Train rows per task that the instruction mixture samples from. */
  instructionRows: 400,
  lr: 1e-3,
  warmup: 200,
  weightDecay: 0.01,
  maxGradNorm: 1,
  maxSourceTokens: MAX_SOURCE_TOKENS,
} as const;

/**
 * Experts: the whole model fine-tuned on one task's train split with its built-in template: 1,000 steps of
 * 16 (16,000 examples, four epochs of a 4,000-row split). 150 steps after 600 pre-training steps left
 * qnli, mnli and rte at chance (models README).
 */
export const EXPERT = {
  steps: 1000,
  batchSize: 16,
  lr: 1e-3,
  warmup: 50,
  weightDecay: 0.01,
  maxGradNorm: 1,
  maxSourceTokens: MAX_SOURCE_TOKENS,
} as const;

/** Evaluation batch size (wemoe's text evaluation, label scoring; STS-B by generation). */
export const EVAL_BATCH = 64;
