/**
 * Training T5 as text-to-text (how the built-in text suite's models are made): one graph computes the
 * teacher-forced cross-entropy of the target tokens and the gradient of every parameter; one step = one
 * run. The loss is the mean over the batch's real target tokens, as Hugging Face's T5 loss with padded
 * labels set to −100.
 */
import { WemoeError } from '../../errors.js';
import { Graph, gradientOutputs, logSoftmax, type Value } from '../../graph/index.js';
import { type CompiledGraph, type CompileOptions, compile } from '../../runtime/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { runTrainingStep } from '../training-step.js';
import type { T5Config } from './config.js';
import { decoderPositionFeeds, encoderPositionFeeds } from './feeds.js';
import { type T5ParamLookup, t5Decoder, t5Encoder } from './model.js';
import { type T5Params, t5ParamShapes } from './params.js';

export interface T5TrainingGraph {
  /** 'loss' [], 'logits' [B, T, V] and 'grad.{name}' for every parameter. */
  readonly outputs: Readonly<Record<string, Value>>;
  /** Parameter names (graph inputs fed with the current weights every step), in t5ParamShapes order. */
  readonly paramNames: readonly string[];
}

/**
 * Mean of −log softmax(logits)[label] over the tokens whose weight is 1: logits [B, T, V], labels I64
 * [B, T], weights F32 [B, T] (0 at padding).
 */
export function tokenCrossEntropy(logits: Value, labels: Value, weights: Value): Value {
  const v = logits.shape[logits.rank - 1];
  if (typeof v !== 'number')
    throw new WemoeError(`tokenCrossEntropy: the vocabulary dimension must be static, got ${v}`);
  const vocab = logits.graph.constantI64(Array.from({ length: v }, (_, i) => i)); // [V]
  const oneHot = labels.reshape([0, 0, 1]).eq(vocab).cast('F32'); // [B, T, V]
  const tokenLoss = logSoftmax(logits, -1).mul(oneHot).sum(-1).neg(); // [B, T]
  return tokenLoss.mul(weights).sum().div(weights.sum());
}

/**
 * The training graph: inputs input_ids / attention_mask [B, S], encoder_buckets [S, S],
 * decoder_input_ids / labels (I64) / label_weights (F32) [B, T], decoder_buckets and
 * decoder_causal_bias [T, T], and every parameter by its Hugging Face name.
 */
export function buildT5TrainingGraph(config: T5Config): T5TrainingGraph {
  const g = new Graph();
  const values = new Map<string, Value>();
  for (const [name, shape] of t5ParamShapes(config)) values.set(name, g.input(name, 'F32', shape));
  const param: T5ParamLookup = (name) => {
    const value = values.get(name);
    if (!value) throw new WemoeError(`t5 training: the model has no parameter ${name}`);
    return value;
  };
  const attentionMask = g.input('attention_mask', 'I64', ['batch', 'src']);
  const encoderHidden = t5Encoder(config, param, {
    inputIds: g.input('input_ids', 'I64', ['batch', 'src']),
    attentionMask,
    buckets: g.input('encoder_buckets', 'I64', ['src', 'src']),
  });
  const { logits } = t5Decoder(config, param, {
    decoderInputIds: g.input('decoder_input_ids', 'I64', ['batch', 'tgt']),
    attentionMask,
    buckets: g.input('decoder_buckets', 'I64', ['tgt', 'tgt']),
    causalBias: g.input('decoder_causal_bias', 'F32', ['tgt', 'tgt']),
    encoderHidden,
  });
  const loss = tokenCrossEntropy(
    logits,
    g.input('labels', 'I64', ['batch', 'tgt']),
    g.input('label_weights', 'F32', ['batch', 'tgt']),
  );
  const { outputs, trained } = gradientOutputs(loss, logits, values);
  return { outputs, paramNames: trained };
}

/** Sources and targets as the training graph's feeds (without the parameters). */
export interface T5TrainingBatch {
  /** input_ids, attention_mask [B, S]; decoder_input_ids, labels, label_weights [B, T]; position feeds. */
  readonly feeds: Record<string, Tensor>;
  /** [B, T]: the target ids (padding 0 where label_weights is 0). */
  readonly labels: readonly (readonly number[])[];
}

/**
 * Right-pads `sources` (token ids, `</s>` included) and `targets` (likewise) into one batch; the decoder
 * sees the start token then each target but its last token (teacher forcing).
 */
export function teacherForcingBatch(
  config: T5Config,
  sources: readonly (readonly number[])[],
  targets: readonly (readonly number[])[],
): T5TrainingBatch {
  if (sources.length === 0 || sources.length !== targets.length)
    throw new WemoeError(
      `training batch: expected as many targets as sources (≥ 1), got ${sources.length} and ${targets.length}`,
    );
  const empty = [...sources, ...targets].findIndex((ids) => ids.length === 0);
  if (empty >= 0) throw new WemoeError(`training batch: sequence ${empty} has no tokens`);
  const b = sources.length;
  const s = Math.max(...sources.map((ids) => ids.length));
  const t = Math.max(...targets.map((ids) => ids.length));
  const pad = BigInt(config.padTokenId);
  const inputIds = new BigInt64Array(b * s).fill(pad);
  const mask = new BigInt64Array(b * s);
  const decoderIds = new BigInt64Array(b * t).fill(pad);
  const labelIds = new BigInt64Array(b * t).fill(pad);
  const weights = new Float32Array(b * t);
  const labels: number[][] = [];
  for (let r = 0; r < b; r++) {
    sources[r].forEach((id, i) => {
      inputIds[r * s + i] = BigInt(id);
      mask[r * s + i] = 1n;
    });
    const target = targets[r];
    const row = new Array<number>(t).fill(config.padTokenId);
    target.forEach((id, i) => {
      decoderIds[r * t + i] = BigInt(i === 0 ? config.decoderStartTokenId : target[i - 1]);
      labelIds[r * t + i] = BigInt(id);
      weights[r * t + i] = 1;
      row[i] = id;
    });
    labels.push(row);
  }
  return {
    feeds: {
      input_ids: { dtype: 'I64', shape: [b, s], data: inputIds },
      attention_mask: { dtype: 'I64', shape: [b, s], data: mask },
      decoder_input_ids: { dtype: 'I64', shape: [b, t], data: decoderIds },
      labels: { dtype: 'I64', shape: [b, t], data: labelIds },
      label_weights: { dtype: 'F32', shape: [b, t], data: weights },
      ...encoderPositionFeeds(config, s),
      ...decoderPositionFeeds(config, t),
    },
    labels,
  };
}

export interface T5TrainingStep {
  readonly loss: number;
  /** [B, T, V] */
  readonly logits: Tensor;
  /** Parameter name → gradient of the mean token loss. */
  readonly grads: Record<string, Tensor>;
}

/** The training graph compiled once; `step` feeds the current weights and a batch. */
export class T5Trainer {
  private constructor(
    readonly config: T5Config,
    readonly training: T5TrainingGraph,
    private readonly compiled: CompiledGraph,
  ) {}

  static async create(config: T5Config, options: Pick<CompileOptions, 'threads'> = {}): Promise<T5Trainer> {
    const training = buildT5TrainingGraph(config);
    return new T5Trainer(config, training, await compile(training.outputs, { threads: options.threads }));
  }

  /** Loss, logits and gradients of `batch` at `params`. */
  async step(
    params: T5Params | Readonly<Record<string, Tensor>>,
    batch: T5TrainingBatch,
  ): Promise<T5TrainingStep> {
    const get = (name: string) => (params instanceof Map ? params.get(name) : params[name]);
    return runTrainingStep(this.compiled, this.training.paramNames, batch.feeds, get, 't5 training step');
  }

  async dispose(): Promise<void> {
    await this.compiled.dispose();
  }
}

/** Target tokens (weight 1) whose arg-max logit is the label, and how many there are. */
export function countCorrectTokens(
  logits: Tensor,
  labels: readonly (readonly number[])[],
  lengths: readonly number[],
): { correct: number; total: number } {
  const [, t, v] = logits.shape;
  const data = logits.data as Float32Array;
  let correct = 0;
  let total = 0;
  labels.forEach((row, b) => {
    for (let i = 0; i < lengths[b]; i++) {
      const at = (b * t + i) * v;
      let best = 0;
      for (let k = 1; k < v; k++) if (data[at + k] > data[at + best]) best = k;
      if (best === row[i]) correct++;
      total++;
    }
  });
  return { correct, total };
}
