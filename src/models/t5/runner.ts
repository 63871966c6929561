/**
 * T5Runner: a T5 model compiled to ONNX Runtime (symbolic batch and lengths), with the forward of
 * T5ForConditionalGeneration, greedy generation with a key/value cache, and label scoring. The model is a
 * plain T5 or a WEMoE T5 (its mixture modules plugged into every block); either way its weights are
 * graph constants that every session reads in place (bound inputs, one copy however many sessions). With
 * the cache, a decoder router sees the one new token of each step, as in Hugging Face's cached generation.
 */
import { WemoeError } from '../../errors.js';
import { Graph, type Value } from '../../graph/index.js';
import { type CompiledGraph, compile } from '../../runtime/index.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { loadT5, type T5Model } from './checkpoint.js';
import type { T5Config } from './config.js';
import {
  checkAttentionMask,
  checkTokenIds,
  decoderBuckets,
  decoderPositionFeeds,
  encoderPositionFeeds,
  i64,
  onesLike,
} from './feeds.js';
import { type KeyValues, type T5ModelOptions, type T5ParamLookup, t5Decoder, t5Encoder } from './model.js';
import { t5ParamCount, t5ParamShapes } from './params.js';
import { causalBias } from './position-bucket.js';
import { type T5WemoeModel, t5WemoeParamCounts, t5WemoeParams } from './wemoe.js';
import { isT5WemoeFolder, loadT5Wemoe } from './wemoe-checkpoint.js';

/** What a runner runs: a plain T5 model, or a WEMoE T5 model. */
export type T5RunnerModel = T5Model | T5WemoeModel;

function isWemoe(model: T5RunnerModel): model is T5WemoeModel {
  return 'moes' in model;
}

export interface T5RunnerOptions {
  /** Intra-op threads (default: all cores). */
  readonly threads?: number;
}

export interface T5ForwardResult {
  /** [B, S, D] */
  readonly encoder_last_hidden_state: Tensor;
  /** [B, S', V] */
  readonly logits: Tensor;
}

/** The outputs of the graph's four uses: forward, decoding given encoder states, generation's first and later steps. */
interface T5Graph {
  readonly forward: Record<string, Value>;
  readonly decodeHidden: Record<string, Value>;
  readonly first: Record<string, Value>;
  readonly step: Record<string, Value>;
}

function cacheNames(prefix: string, layers: number): string[] {
  return Array.from({ length: layers }, (_, b) => [`${prefix}.${b}.keys`, `${prefix}.${b}.values`]).flat();
}

function kvOutputs(prefix: string, kvs: readonly KeyValues[]): Record<string, Value> {
  return Object.fromEntries(
    kvs.flatMap((kv, b) => [
      [`${prefix}.${b}.keys`, kv.keys],
      [`${prefix}.${b}.values`, kv.values],
    ]),
  );
}

/** The model's weights as constants of `g` (a WEMoE model's with its mixtures), each checked against the config. */
function graphParams(g: Graph, model: T5RunnerModel): { param: T5ParamLookup; options: T5ModelOptions } {
  if (isWemoe(model)) {
    const { param, feedForwardParams } = t5WemoeParams(model, g);
    return { param, options: { feedForwardParams } };
  }
  const shapes = t5ParamShapes(model.config);
  const weights = new Map<string, Value>();
  const param: T5ParamLookup = (name) => {
    let value = weights.get(name);
    if (!value) {
      const tensor = model.params.get(name);
      const shape = shapes.get(name);
      if (!tensor || !shape) throw new WemoeError(`t5: the model has no parameter ${name}`);
      if (tensor.dtype !== 'F32' || shapeString(tensor.shape) !== shapeString(shape))
        throw new WemoeError(
          `t5: parameter ${name} is ${tensor.dtype} ${shapeString(tensor.shape)}, expected F32 ${shapeString(shape)}`,
        );
      value = g.constant(tensor, name);
      weights.set(name, value);
    }
    return value;
  };
  return { param, options: {} };
}

/** Teacher-forced decoder inputs: ids [B, S'], their causal buckets and mask [S', S'], the encoder mask [B, S]. */
function decoderInputs(g: Graph) {
  return {
    decoderInputIds: g.input('decoder_input_ids', 'I64', ['batch', 'tgt']),
    attentionMask: g.input('attention_mask', 'I64', ['batch', 'src']),
    buckets: g.input('decoder_buckets', 'I64', ['tgt', 'tgt']),
    causalBias: g.input('decoder_causal_bias', 'F32', ['tgt', 'tgt']),
  };
}

/**
 * The forward (encoder, then the decoder over all given tokens; also generation's first step), the decoder
 * over given encoder states, and one cached generation step: three graphs, so that a WEMoE model's mixture
 * constants are built once in each.
 */
function buildGraph(config: T5Config, model: T5RunnerModel): T5Graph {
  const { numHeads: h, dKv: kv, dModel: d } = config;

  const g = new Graph();
  const p = graphParams(g, model);
  const inputs = decoderInputs(g);
  const encoderHidden = t5Encoder(
    config,
    p.param,
    {
      inputIds: g.input('input_ids', 'I64', ['batch', 'src']),
      attentionMask: inputs.attentionMask,
      buckets: g.input('encoder_buckets', 'I64', ['src', 'src']),
    },
    p.options,
  );
  const full = t5Decoder(config, p.param, { ...inputs, encoderHidden }, p.options);

  const hg = new Graph();
  const hp = graphParams(hg, model);
  const givenHidden = hg.input('encoder_hidden', 'F32', ['batch', 'src', d]);
  const fromHidden = t5Decoder(
    config,
    hp.param,
    { ...decoderInputs(hg), encoderHidden: givenHidden },
    hp.options,
  );

  const sg = new Graph();
  const sp = graphParams(sg, model);
  const cacheInput = (name: string, length: string) => sg.input(name, 'F32', ['batch', h, length, kv]);
  const kvInputs = (prefix: string, length: string): KeyValues[] =>
    Array.from({ length: config.numDecoderLayers }, (_, b) => ({
      keys: cacheInput(`${prefix}.${b}.keys`, length),
      values: cacheInput(`${prefix}.${b}.values`, length),
    }));
  const stepped = t5Decoder(
    config,
    sp.param,
    {
      decoderInputIds: sg.input('next_token', 'I64', ['batch', 1]),
      attentionMask: sg.input('attention_mask', 'I64', ['batch', 'src']),
      buckets: sg.input('step_buckets', 'I64', [1, 'past+1']),
      causalBias: sg.input('step_causal_bias', 'F32', [1, 'past+1']),
      past: kvInputs('past', 'past'),
      cross: kvInputs('cross', 'src'),
    },
    sp.options,
  );
  return {
    forward: { encoder_last_hidden_state: encoderHidden, logits: full.logits },
    decodeHidden: { logits: fromHidden.logits },
    first: {
      logits: full.logits,
      ...kvOutputs('present', full.present),
      ...kvOutputs('cross_out', full.cross),
    },
    step: { logits: stepped.logits, ...kvOutputs('present', stepped.present) },
  };
}

export class T5Runner {
  private readonly graph: T5Graph;
  private readonly sessions = new Set<CompiledGraph>();

  readonly config: T5Config;
  /** Parameters the model trained (a WEMoE model's routers; 0 for a plain model) and all it stores. */
  readonly paramCounts: { readonly trainable: number; readonly all: number };

  private constructor(
    model: T5RunnerModel,
    private readonly options: T5RunnerOptions,
  ) {
    this.config = isWemoe(model) ? model.t5 : model.config;
    this.paramCounts = isWemoe(model)
      ? t5WemoeParamCounts(model)
      : { trainable: 0, all: t5ParamCount(model.config) };
    this.graph = buildGraph(this.config, model);
  }

  /** A runner over in-memory weights (e.g. a merge result, plain or WEMoE). */
  static create(model: T5RunnerModel, options: T5RunnerOptions = {}): T5Runner {
    return new T5Runner(model, options);
  }

  /** Loads a Hugging Face folder, or a WEMoE T5 folder (config.json with a `wemoe` block); all checked. */
  static load(dir: string, options: T5RunnerOptions = {}): T5Runner {
    return T5Runner.create(isT5WemoeFolder(dir) ? loadT5Wemoe(dir) : loadT5(dir), options);
  }

  /** T5ForConditionalGeneration's forward: encoder states and the decoder's logits. */
  async forward(
    inputIds: Tensor,
    attentionMask?: Tensor,
    decoderInputIds?: Tensor,
  ): Promise<T5ForwardResult> {
    const mask = attentionMask ?? onesLike(inputIds);
    checkTokenIds('input_ids', inputIds, this.config.vocabSize);
    checkAttentionMask(mask, inputIds);
    const batch = inputIds.shape[0];
    const decoder =
      decoderInputIds ?? i64(Array.from({ length: batch }, () => [this.config.decoderStartTokenId]));
    checkTokenIds('decoder_input_ids', decoder, this.config.vocabSize);
    if (decoder.shape[0] !== batch)
      throw new WemoeError(`decoder_input_ids: ${decoder.shape[0]} rows, expected ${batch} as input_ids`);
    const session = await this.session(this.graph.forward);
    const out = await session.run({
      input_ids: inputIds,
      attention_mask: mask,
      ...encoderPositionFeeds(this.config, inputIds.shape[1]),
      decoder_input_ids: decoder,
      ...decoderPositionFeeds(this.config, decoder.shape[1]),
    });
    return out as unknown as T5ForwardResult;
  }

  /** Logits [B, S', V] of teacher-forced decoder inputs over given encoder states (no encoder rerun). */
  async decode(encoderHidden: Tensor, attentionMask: Tensor, decoderInputIds: Tensor): Promise<Tensor> {
    checkTokenIds('decoder_input_ids', decoderInputIds, this.config.vocabSize);
    const session = await this.session(this.graph.decodeHidden);
    const out = await session.run({
      encoder_hidden: encoderHidden,
      attention_mask: attentionMask,
      decoder_input_ids: decoderInputIds,
      ...decoderPositionFeeds(this.config, decoderInputIds.shape[1]),
    });
    return out.logits;
  }

  /**
   * Greedy decoding with a key/value cache: each row's tokens up to and including `</s>`, at most
   * `maxNewTokens` (the decoder start token is not included).
   */
  async generate(inputIds: Tensor, attentionMask?: Tensor, options: { maxNewTokens?: number } = {}) {
    const max = options.maxNewTokens ?? 20;
    if (!(Number.isInteger(max) && max > 0))
      throw new WemoeError(`generate: maxNewTokens ${max}: expected a positive integer`);
    const mask = attentionMask ?? onesLike(inputIds);
    checkTokenIds('input_ids', inputIds, this.config.vocabSize);
    checkAttentionMask(mask, inputIds);
    const batch = inputIds.shape[0];
    const layers = this.config.numDecoderLayers;
    const stepSession = await this.session(this.graph.step);
    const first = await (await this.session(this.graph.first)).run({
      input_ids: inputIds,
      attention_mask: mask,
      ...encoderPositionFeeds(this.config, inputIds.shape[1]),
      decoder_input_ids: i64(Array.from({ length: batch }, () => [this.config.decoderStartTokenId])),
      ...decoderPositionFeeds(this.config, 1),
    });
    const cross = renamed(first, 'cross_out', 'cross', layers);
    let past = renamed(first, 'present', 'past', layers);
    let logits = first.logits;
    const out: number[][] = Array.from({ length: batch }, () => []);
    const done = new Array<boolean>(batch).fill(false);
    for (let step = 0; ; step++) {
      const next = argmaxLast(logits).map((token, b) => (done[b] ? this.config.padTokenId : token));
      next.forEach((token, b) => {
        if (done[b]) return;
        out[b].push(token);
        if (token === this.config.eosTokenId) done[b] = true;
      });
      if (step + 1 >= max || done.every(Boolean)) return out;
      const keys = step + 2; // start token + tokens so far
      const result = await stepSession.run({
        attention_mask: mask,
        next_token: i64(next.map((t) => [t])),
        step_buckets: decoderBuckets(this.config, 1, keys, keys - 1),
        step_causal_bias: causalBias(1, keys, keys - 1),
        ...past,
        ...cross,
      });
      logits = result.logits;
      past = renamed(result, 'present', 'past', layers);
    }
  }

  /**
   * The compiled session for `outputs` (cached by the runtime). The weights are constants of each of the
   * three graphs: as bound inputs ORT reads them in place instead of copying them into every session
   * (measured on a WEMoE model: +2.2 GB per session for 1.2 GB of task vectors, docs/experiments.md).
   */
  private async session(outputs: Record<string, Value>): Promise<CompiledGraph> {
    const compiled = await compile(outputs, { threads: this.options.threads, externalData: 'inputs' });
    this.sessions.add(compiled);
    return compiled;
  }

  /** Releases the ORT sessions; the runner cannot be used afterwards. */
  async dispose(): Promise<void> {
    for (const compiled of this.sessions) await compiled.dispose();
    this.sessions.clear();
  }
}

/** Cache tensors of `result` under `from.{b}.keys|values`, renamed to the `to.` inputs of the step graph. */
function renamed(
  result: Record<string, Tensor>,
  from: string,
  to: string,
  layers: number,
): Record<string, Tensor> {
  const names = cacheNames(from, layers);
  return Object.fromEntries(cacheNames(to, layers).map((name, i) => [name, result[names[i]]]));
}

/** Argmax over the vocabulary of each row's last position of logits [B, Q, V] (first maximum wins). */
export function argmaxLast(logits: Tensor): number[] {
  const [batch, q, v] = logits.shape;
  const data = logits.data as Float32Array;
  return Array.from({ length: batch }, (_, b) => {
    const row = data.subarray((b * q + q - 1) * v, (b * q + q) * v);
    let best = 0;
    for (let i = 1; i < v; i++) if (row[i] > row[best]) best = i;
    return best;
  });
}
