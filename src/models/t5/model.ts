/**
 * T5 as functions on the graph, exactly Hugging Face's T5ForConditionalGeneration: shared embedding,
 * pre-norm blocks with RMS layer norms, attention without 1/√d scaling plus a relative position bias
 * (made in the first block, reused by the others), cross-attention in the decoder, the plain or gated
 * feed-forward (T5DenseActDense / T5DenseGatedActDense), final norms and the (tied, D^-0.5-scaled, or
 * untied) lm_head.
 *
 * Positions enter as host-computed inputs (position-bucket.ts): bucket indices [Q, K] and, in the decoder,
 * an additive causal mask [Q, K]. Padding enters as the 0/1 attention mask [B, S].
 */
import { WemoeError } from '../../errors.js';
import { concat, rmsNorm as fusedRmsNorm, gelu, geluTanh, linear, softmax } from '../../graph/functional.js';
import type { Value } from '../../graph/graph.js';
import { innerDim, type T5Act, type T5Config } from './config.js';
import { blockPrefix, feedForwardIndex, LM_HEAD, relativeBiasName, SHARED, type T5Stack } from './params.js';
import { F32_MIN } from './position-bucket.js';

/** A parameter by its Hugging Face name, as a graph value (linear weights [out, in]). */
export type T5ParamLookup = (name: string) => Value;

/** Keys and values of one attention, split into heads: [B, H, K, dKv] each. */
export interface KeyValues {
  readonly keys: Value;
  readonly values: Value;
}

/** T5LayerNorm: x / √(mean(x²) + eps) · weight (no mean subtraction, no bias), one fused node. */
export function rmsNorm(x: Value, weight: Value, eps: number): Value {
  return fusedRmsNorm(x, weight, eps);
}

/** gelu_new: the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), one fused node. */
export function geluNew(x: Value): Value {
  return geluTanh(x);
}

function activate(x: Value, act: T5Act): Value {
  switch (act) {
    case 'relu':
      return x.relu();
    case 'gelu':
      return gelu(x);
    case 'gelu_new':
      return geluNew(x);
    case 'silu':
      return x.mul(x.sigmoid());
  }
}

/** [B, T, H·dKv] → [B, H, T, dKv] */
function splitHeads(config: T5Config, x: Value): Value {
  return x.reshape([0, 0, config.numHeads, config.dKv]).transpose([0, 2, 1, 3]);
}

/** Keys and values of `source` [B, K, D] for the attention at `prefix`. */
export function projectKeyValues(
  config: T5Config,
  param: T5ParamLookup,
  prefix: string,
  source: Value,
): KeyValues {
  return {
    keys: splitHeads(config, linear(source, param(`${prefix}k.weight`))),
    values: splitHeads(config, linear(source, param(`${prefix}v.weight`))),
  };
}

/** Attention of queries from `x` [B, Q, D] over `kv`; `bias` broadcasts to [B, H, Q, K]. No 1/√d scaling. */
function attend(
  config: T5Config,
  param: T5ParamLookup,
  prefix: string,
  x: Value,
  kv: KeyValues,
  bias: Value,
) {
  const q = splitHeads(config, linear(x, param(`${prefix}q.weight`))); // [B, H, Q, dKv]
  const scores = q.matmul(kv.keys, { transposeB: true }).add(bias); // [B, H, Q, K]
  const mixed = softmax(scores, -1)
    .matmul(kv.values) // [B, H, Q, dKv]
    .transpose([0, 2, 1, 3])
    .reshape([0, 0, innerDim(config)]); // [B, Q, H·dKv]
  return linear(mixed, param(`${prefix}o.weight`)); // [B, Q, D]
}

/**
 * attend() for ONE query token x [B, 1, D] over states [B, S, D] (cross-attention), with the key and
 * value projections moved to the query side: q_h·(W_k,h s_j) = (W_k,hᵀ q_h)·s_j and Σ_j p_j·W_v,h s_j =
 * W_v,h·(Σ_j p_j s_j). Per sample that is 4·H·S·D multiply-adds instead of 4·S·D·H·dKv for projecting every
 * state's key and value (dKv = 64 times fewer), for when nothing needs the projected keys and values.
 */
function attendOneQuery(
  config: T5Config,
  param: T5ParamLookup,
  prefix: string,
  x: Value,
  states: Value,
  bias: Value,
): Value {
  const { numHeads: h, dKv: kv, dModel: d } = config;
  const [batch, length] = states.shape;
  const perHead = (name: string) => param(`${prefix}${name}.weight`).reshape([h, kv, d]); // [H, dKv, D]
  const q = linear(x, param(`${prefix}q.weight`)).reshape([batch, h, 1, kv]); // [B, H, 1, dKv]
  const keyed = q.matmul(perHead('k')).reshape([batch, h, d]); // [B, H, D]
  const scores = keyed.matmul(states, { transposeB: true }).add(bias.reshape([batch, 1, length])); // [B, H, S]
  const pooled = softmax(scores, -1).matmul(states).reshape([batch, h, 1, d]); // [B, H, 1, D]
  const mixed = pooled.matmul(perHead('v'), { transposeB: true }); // [B, H, 1, dKv]
  return linear(mixed.reshape([batch, 1, innerDim(config)]), param(`${prefix}o.weight`)); // [B, 1, D]
}

/**
 * The feed-forward module at `p` (`….DenseReluDense.`, Hugging Face's attribute name for the gated module
 * too): wo(act(wi x)) or wo(act(wi_0 x) · wi_1 x). Weights may be per sample ([B, out, in]).
 */
function feedForward(config: T5Config, param: T5FeedForwardLookup, p: string, x: Value): Value {
  const project = (input: Value, part: string) =>
    param.project?.(input, `${p}${part}`) ?? linear(input, param(`${p}${part}.weight`));
  if (config.isGatedAct) {
    const gate = activate(project(x, 'wi_0'), config.denseActFn); // [B, T, F]
    return project(gate.mul(project(x, 'wi_1')), 'wo');
  }
  return project(activate(project(x, 'wi'), config.denseActFn), 'wo');
}

/**
 * A feed-forward module's parameters as a hook gives them: a lookup, and optionally `project`, which
 * computes the projection `name` (e.g. `….DenseReluDense.wo`) on its input itself, without the weight
 * (a WEMoE module's factored form; undefined: the module applies the looked-up weight).
 */
export type T5FeedForwardLookup = T5ParamLookup & {
  readonly project?: (x: Value, name: string) => Value | undefined;
};

/**
 * Replaces the parameter lookup of a block's feed-forward module: `x` is the module's input (after the
 * layer norm) [B, T, D] and `mask` [B, T] (I64) marks its real tokens (encoder; undefined in the decoder,
 * whose positions are all real). The lookup may return per-sample weights [B, out, in]. Returns undefined
 * to keep the block's own parameters. The WEMoE modules plug in here (their routers read `x`).
 */
export type T5FeedForwardParamsFn = (
  stack: T5Stack,
  block: number,
  x: Value,
  mask: Value | undefined,
) => T5FeedForwardLookup | undefined;

export interface T5ModelOptions {
  readonly feedForwardParams?: T5FeedForwardParamsFn;
}

/** The feed-forward sub-layer with its residual: x + FF(norm(x)). */
function feedForwardLayer(
  config: T5Config,
  param: T5ParamLookup,
  at: { stack: T5Stack; block: number; mask?: Value },
  x: Value,
  options: T5ModelOptions,
): Value {
  const prefix = `${blockPrefix(at.stack, at.block)}${feedForwardIndex(at.stack)}.`;
  const normed = rmsNorm(x, param(`${prefix}layer_norm.weight`), config.layerNormEpsilon);
  const moduleParam = options.feedForwardParams?.(at.stack, at.block, normed, at.mask) ?? param;
  return x.add(feedForward(config, moduleParam, `${prefix}DenseReluDense.`, normed));
}

/** The relative position bias [H, Q, K] (broadcasts over the batch) of a stack from bucket indices [Q, K]. */
function positionBias(param: T5ParamLookup, stack: T5Stack, buckets: Value): Value {
  return embed(param(relativeBiasName(stack)), buckets) // [Q, K, H]
    .transpose([2, 0, 1]);
}

/**
 * Rows of a table [N, C] for indices [A, B] → [A, B, C] (token embeddings, position-bias buckets); gathered
 * by the flattened indices so that a gradient can reach the table (tables merged by AdaMerging).
 */
function embed(table: Value, ids: Value): Value {
  const [batch, length] = ids.shape;
  return table.gather(0, ids.reshape([-1])).reshape([batch, length, table.shape[1]]);
}

/** Additive padding bias [B, 1, 1, S] from a 0/1 mask [B, S] (I64): 0 kept, float32 minimum masked. */
export function paddingBias(mask: Value): Value {
  return mask.cast('F32').sub(1).mul(-F32_MIN).reshape([mask.shape[0], 1, 1, mask.shape[1]]);
}

export interface T5EncoderInputs {
  /** [B, S] I64 */
  readonly inputIds: Value;
  /** [B, S] I64, 1 = token, 0 = padding */
  readonly attentionMask: Value;
  /** [S, S] I64 bidirectional buckets */
  readonly buckets: Value;
}

/** encoder_last_hidden_state [B, S, D]. */
export function t5Encoder(
  config: T5Config,
  param: T5ParamLookup,
  inputs: T5EncoderInputs,
  options: T5ModelOptions = {},
): Value {
  const eps = config.layerNormEpsilon;
  const bias = positionBias(param, 'encoder', inputs.buckets).add(paddingBias(inputs.attentionMask)); // [B, H, S, S]
  let x = embed(param(SHARED), inputs.inputIds); // [B, S, D]
  for (let b = 0; b < config.numLayers; b++) {
    const p = blockPrefix('encoder', b);
    const normed = rmsNorm(x, param(`${p}0.layer_norm.weight`), eps);
    const kv = projectKeyValues(config, param, `${p}0.SelfAttention.`, normed);
    x = x.add(attend(config, param, `${p}0.SelfAttention.`, normed, kv, bias));
    x = feedForwardLayer(
      config,
      param,
      { stack: 'encoder', block: b, mask: inputs.attentionMask },
      x,
      options,
    );
  }
  return rmsNorm(x, param('encoder.final_layer_norm.weight'), eps);
}

export interface T5DecoderInputs {
  /** [B, Q] I64: the new decoder tokens */
  readonly decoderInputIds: Value;
  /** [B, S] I64: the encoder's padding mask */
  readonly attentionMask: Value;
  /** [Q, K] I64 causal buckets of the new tokens over all K = past + Q decoder positions */
  readonly buckets: Value;
  /** [Q, K] F32 additive causal mask */
  readonly causalBias: Value;
  /** encoder_last_hidden_state [B, S, D]; or give `cross` */
  readonly encoderHidden?: Value;
  /** Per decoder block: cross-attention keys/values already projected from the encoder states. */
  readonly cross?: readonly KeyValues[];
  /** Per decoder block: self-attention keys/values of the earlier positions (the cache). */
  readonly past?: readonly KeyValues[];
}

export interface T5DecoderOutputs {
  /** [B, Q, V] */
  readonly logits: Value;
  /** Per block: self-attention keys/values of all K positions (the next step's cache). */
  readonly present: readonly KeyValues[];
  /** Per block: cross-attention keys/values. */
  readonly cross: readonly KeyValues[];
}

/** The decoder over new tokens, with lm_head. */
export function t5Decoder(
  config: T5Config,
  param: T5ParamLookup,
  inputs: T5DecoderInputs,
  options: T5ModelOptions = {},
): T5DecoderOutputs {
  const eps = config.layerNormEpsilon;
  const selfBias = positionBias(param, 'decoder', inputs.buckets).add(inputs.causalBias); // [H, Q, K]
  const crossBias = paddingBias(inputs.attentionMask); // [B, 1, 1, S]
  let x = embed(param(SHARED), inputs.decoderInputIds); // [B, Q, D]
  const present: KeyValues[] = [];
  const cross: KeyValues[] = [];
  for (let b = 0; b < config.numDecoderLayers; b++) {
    const p = blockPrefix('decoder', b);
    const normed = rmsNorm(x, param(`${p}0.layer_norm.weight`), eps);
    const fresh = projectKeyValues(config, param, `${p}0.SelfAttention.`, normed);
    const past = inputs.past?.[b];
    const kv = past
      ? { keys: concat([past.keys, fresh.keys], 2), values: concat([past.values, fresh.values], 2) }
      : fresh;
    present.push(kv);
    x = x.add(attend(config, param, `${p}0.SelfAttention.`, normed, kv, selfBias));
    const normedCross = rmsNorm(x, param(`${p}1.layer_norm.weight`), eps);
    const crossKv =
      inputs.cross?.[b] ?? projectKeyValues(config, param, `${p}1.EncDecAttention.`, encoder(inputs));
    cross.push(crossKv);
    // One new token and no cache to fill (the test-time objective): project on the query side instead.
    const oneQuery = !inputs.cross && x.shape[1] === 1;
    const crossOut = oneQuery
      ? attendOneQuery(config, param, `${p}1.EncDecAttention.`, normedCross, encoder(inputs), crossBias)
      : attend(config, param, `${p}1.EncDecAttention.`, normedCross, crossKv, crossBias);
    x = x.add(crossOut);
    x = feedForwardLayer(config, param, { stack: 'decoder', block: b }, x, options);
  }
  const hidden = rmsNorm(x, param('decoder.final_layer_norm.weight'), eps); // [B, Q, D]
  const logits = config.tieWordEmbeddings
    ? linear(hidden.mul(config.dModel ** -0.5), param(SHARED))
    : linear(hidden, param(LM_HEAD));
  return { logits, present, cross };
}

function encoder(inputs: T5DecoderInputs): Value {
  if (!inputs.encoderHidden) throw new WemoeError('t5Decoder: give encoderHidden or cross key/values');
  return inputs.encoderHidden;
}
