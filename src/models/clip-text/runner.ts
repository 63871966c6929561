/**
 * ClipTextRunner: the CLIP text tower compiled to ONNX Runtime (symbolic batch; one graph per sequence
 * length and mask presence), run on batches of input_ids.
 */
import { WemoeError } from '../../errors.js';
import { Graph, type Value } from '../../graph/index.js';
import { type CompiledGraph, compile } from '../../runtime/index.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { type ClipTextModel, loadClipText } from './checkpoint.js';
import type { ClipTextConfig } from './config.js';
import { clipTextForward, pooledPositions } from './model.js';
import { clipTextParamShapes } from './params.js';

export interface ClipTextResult {
  /** [B, E]: projected, not normalised */
  readonly text_embeds: Tensor;
  /** [B, D] */
  readonly pooler_output: Tensor;
  /** [B, S, D] */
  readonly last_hidden_state: Tensor;
}

export interface ClipTextRunnerOptions {
  /** Intra-op threads (default: all cores). */
  readonly threads?: number;
}

export class ClipTextRunner {
  /** Compiled sessions by `${S}:${mask}`; weights are graph inputs bound once to the host arrays. */
  private readonly sessions = new Map<string, Promise<CompiledGraph>>();

  private constructor(
    readonly model: ClipTextModel,
    private readonly options: ClipTextRunnerOptions,
  ) {}

  static create(model: ClipTextModel, options: ClipTextRunnerOptions = {}): ClipTextRunner {
    return new ClipTextRunner(model, options);
  }

  /** Loads the text tower of a full CLIPModel folder. */
  static load(dir: string, options: ClipTextRunnerOptions = {}): ClipTextRunner {
    return new ClipTextRunner(loadClipText(dir), options);
  }

  get config(): ClipTextConfig {
    return this.model.config;
  }

  /** Outputs for `inputIds` I64 [B, S] and optional `attentionMask` I64 [B, S]. */
  async forward(inputIds: Tensor, attentionMask?: Tensor): Promise<ClipTextResult> {
    this.checkIds(inputIds, attentionMask);
    const [b, s] = inputIds.shape;
    const session = await this.session(s, attentionMask !== undefined);
    const positions = pooledPositions(this.config, inputIds.data as BigInt64Array, b);
    const pooled_index: Tensor = {
      dtype: 'I64',
      shape: [b],
      data: BigInt64Array.from(positions, (p, row) => BigInt(row * s + p)),
    };
    const feeds: Record<string, Tensor> = { input_ids: inputIds, pooled_index };
    if (attentionMask) feeds.attention_mask = attentionMask;
    return (await session.run(feeds)) as unknown as ClipTextResult;
  }

  private session(s: number, masked: boolean): Promise<CompiledGraph> {
    const key = `${s}:${masked}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = this.build(s, masked);
      this.sessions.set(key, session);
    }
    return session;
  }

  private async build(s: number, masked: boolean): Promise<CompiledGraph> {
    const graph = new Graph();
    const weights = new Map<string, Value>();
    for (const [name, shape] of clipTextParamShapes(this.config))
      weights.set(name, graph.input(name, 'F32', shape));
    const param = (name: string) =>
      weights.get(name) ?? fail(`clip-text: the model has no parameter ${name}`);
    const out = clipTextForward(this.config, param, {
      inputIds: graph.input('input_ids', 'I64', ['batch', s]),
      attentionMask: masked ? graph.input('attention_mask', 'I64', ['batch', s]) : undefined,
      pooledIndex: graph.input('pooled_index', 'I64', ['batch']),
    });
    const compiled = await compile(
      {
        text_embeds: out.textEmbeds,
        pooler_output: out.poolerOutput,
        last_hidden_state: out.lastHiddenState,
      },
      { threads: this.options.threads },
    );
    const bound = compiled.inputs.filter((v) => this.model.params.has(v.name));
    compiled.bind(Object.fromEntries(bound.map((v) => [v.name, this.model.params.get(v.name)!])));
    return compiled;
  }

  private checkIds(ids: Tensor, mask?: Tensor): void {
    const context = this.config.maxPositionEmbeddings;
    if (ids.dtype !== 'I64' || ids.shape.length !== 2 || ids.shape[1] < 1 || ids.shape[1] > context) {
      throw new WemoeError(
        `input_ids: expected I64 [B, S] with 1 ≤ S ≤ ${context}, got ${ids.dtype} ${shapeString(ids.shape)}`,
      );
    }
    const vocab = this.config.vocabSize;
    for (const id of ids.data as BigInt64Array) {
      if (id < 0n || id >= BigInt(vocab))
        throw new WemoeError(`input_ids: id ${id} is outside the vocabulary [0, ${vocab})`);
    }
    if (mask && (mask.dtype !== 'I64' || shapeString(mask.shape) !== shapeString(ids.shape))) {
      throw new WemoeError(
        `attention_mask: expected I64 ${shapeString(ids.shape)} like input_ids, got ${mask.dtype} ${shapeString(mask.shape)}`,
      );
    }
  }

  /** Releases the ORT sessions; the runner cannot be used afterwards. */
  async dispose(): Promise<void> {
    for (const session of this.sessions.values()) await (await session).dispose();
    this.sessions.clear();
  }
}

function fail(message: string): never {
  throw new WemoeError(message);
}
