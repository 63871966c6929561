/**
 * T5Runner: a T5 model compiled to ONNX Runtime (symbolic batch and lengths), with the forward of
 * T5ForConditionalGeneration, greedy generation with a key/value cache, and label scoring.
 */
import { WemoeError } from '../../errors.js';
import { Graph, type Value } from '../../graph/index.js';
import { type CompiledGraph, compile } from '../../runtime/index.js';
import type { Tensor } from '../../tensor/tensor.js';
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
import { type KeyValues, type T5ParamLookup, t5Decoder, t5Encoder } from './model.js';
import { t5ParamShapes } from './params.js';
import { causalBias } from './position-bucket.js';

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

function buildGraph(config: T5Config): T5Graph {
  const g = new Graph();
  const weights = new Map<string, Value>();
  for (const [name, shape] of t5ParamShapes(config)) weights.set(name, g.input(name, 'F32', shape));
  const param: T5ParamLookup = (name) => {
    const value = weights.get(name);
    if (!value) throw new WemoeError(`t5: the model has no parameter ${name}`);
    return value;
  };
  const { numHeads: h, dKv: kv, dModel: d } = config;
  const inputIds = g.input('input_ids', 'I64', ['batch', 'src']);
  const attentionMask = g.input('attention_mask', 'I64', ['batch', 'src']);
  const encoderHidden = t5Encoder(config, param, {
    inputIds,
    attentionMask,
    buckets: g.input('encoder_buckets', 'I64', ['src', 'src']),
  });
  const decoderInputIds = g.input('decoder_input_ids', 'I64', ['batch', 'tgt']);
  const buckets = g.input('decoder_buckets', 'I64', ['tgt', 'tgt']);
  const causal = g.input('decoder_causal_bias', 'F32', ['tgt', 'tgt']);
  const full = t5Decoder(config, param, {
    decoderInputIds,
    attentionMask,
    buckets,
    causalBias: causal,
    encoderHidden,
  });
  const givenHidden = g.input('encoder_hidden', 'F32', ['batch', 'src', d]);
  const fromHidden = t5Decoder(config, param, {
    decoderInputIds,
    attentionMask,
    buckets,
    causalBias: causal,
    encoderHidden: givenHidden,
  });
  const cacheInput = (name: string, length: string) => g.input(name, 'F32', ['batch', h, length, kv]);
  const kvInputs = (prefix: string, length: string): KeyValues[] =>
    Array.from({ length: config.numDecoderLayers }, (_, b) => ({
      keys: cacheInput(`${prefix}.${b}.keys`, length),
      values: cacheInput(`${prefix}.${b}.values`, length),
    }));
  const stepped = t5Decoder(config, param, {
    decoderInputIds: g.input('next_token', 'I64', ['batch', 1]),
    attentionMask,
    buckets: g.input('step_buckets', 'I64', [1, 'past+1']),
    causalBias: g.input('step_causal_bias', 'F32', [1, 'past+1']),
    past: kvInputs('past', 'past'),
    cross: kvInputs('cross', 'src'),
  });
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

  private constructor(
    readonly config: T5Config,
    private readonly params: T5Model['params'],
    private readonly options: T5RunnerOptions,
  ) {
    this.graph = buildGraph(config);
  }

  /** A runner over in-memory weights (e.g. a merge result). */
  static create(model: T5Model, options: T5RunnerOptions = {}): T5Runner {
    return new T5Runner(model.config, model.params, options);
  }

  /** Loads a Hugging Face folder (keys and shapes checked). */
  static load(dir: string, options: T5RunnerOptions = {}): T5Runner {
    return T5Runner.create(loadT5(dir), options);
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

  /** The compiled session for `outputs` (cached by the runtime); weights bound on first use. */
  private async session(outputs: Record<string, Value>): Promise<CompiledGraph> {
    const compiled = await compile(outputs, { threads: this.options.threads });
    if (!this.sessions.has(compiled)) {
      const weights = compiled.inputs.filter((v) => this.params.has(v.name));
      compiled.bind(Object.fromEntries(weights.map((v) => [v.name, this.params.get(v.name)!])));
      this.sessions.add(compiled);
    }
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
