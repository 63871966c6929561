/**
 * The test-time objective of AdaMerging and WEMoE on T5, as FusionBench computes it for Flan-T5: the
 * decoder is fed ONE token, id 1 (`</s>`, not the start token), and the loss is the entropy of the
 * softmax of the batch-mean first-step logits, −Σ p·log(p + 1e-8). Options: the mean of the per-sample
 * entropies, or the per-sample entropy over the label words' first tokens only.
 */
import { softmax } from '../../graph/functional.js';
import type { Value } from '../../graph/graph.js';
import type { T5Config } from './config.js';
import {
  type T5EncoderInputs,
  type T5ModelOptions,
  type T5ParamLookup,
  t5Decoder,
  t5Encoder,
} from './model.js';

export type T5EntropyKind = 'batch-mean' | 'per-sample' | 'labels';

/** FusionBench's decoder input for the objective: `</s>` (id 1 in T5's vocabulary). */
export const FUSIONBENCH_TTA_TOKEN = 1;

/** FusionBench's entropy_loss adds this inside the logarithm. */
const ENTROPY_EPS = 1e-8;

/** First-step logits [B, V] of the decoder fed `token` alone over the encoded inputs. */
export function firstStepLogits(
  config: T5Config,
  param: T5ParamLookup,
  inputs: T5EncoderInputs,
  options: T5ModelOptions & { readonly token?: number } = {},
): Value {
  const g = inputs.inputIds.graph;
  const batch = inputs.inputIds.shape[0];
  const encoderHidden = t5Encoder(config, param, inputs, options);
  const token = options.token ?? FUSIONBENCH_TTA_TOKEN;
  const decoderInputIds = g.constantI64([token]).reshape([1, 1]).expand([batch, 1]); // [B, 1]
  // One query at position 0 over one key at position 0: relative distance 0 is bucket 0, nothing masked.
  const { logits } = t5Decoder(
    config,
    param,
    {
      decoderInputIds,
      attentionMask: inputs.attentionMask,
      buckets: g.constantI64([0]).reshape([1, 1]),
      causalBias: g.scalar(0).reshape([1, 1]),
      encoderHidden,
    },
    options,
  );
  return logits.reshape([batch, config.vocabSize]); // [B, V]
}

/** −Σ p·log(p + eps) over the last axis of logits [N, K], averaged over the rows. */
function rowEntropy(logits: Value): Value {
  const p = softmax(logits, -1);
  return p.mul(p.add(ENTROPY_EPS).log()).sum(-1).neg().mean();
}

/**
 * The objective on first-step logits [B, V]: 'batch-mean' (FusionBench's), 'per-sample', or 'labels'
 * (per sample, over the logits of `labelTokens`, the label words' first token ids: constants or an I64
 * input [L]).
 */
export function t5Entropy(
  logits: Value,
  kind: T5EntropyKind,
  labelTokens: readonly number[] | Value = [],
): Value {
  if (kind === 'batch-mean') return rowEntropy(logits.mean(0, true));
  if (kind === 'per-sample') return rowEntropy(logits);
  return rowEntropy(logits.gather(1, labelTokens));
}
