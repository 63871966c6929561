/**
 * ClipVisionRunner: a CLIP vision model compiled once to ONNX Runtime (symbolic batch), run on batches
 * of pixel_values, with optional task heads on the same graph.
 */

import { WemoeError } from '../../errors.js';
import { Graph, type Value } from '../../graph/index.js';
import { type CompiledGraph, compile } from '../../runtime/index.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { headInputs } from '../head-logits.js';
import { type Heads, validateHeads } from '../heads.js';
import { type ClipVisionModel, loadClipVision } from './checkpoint.js';
import type { ClipVisionConfig } from './config.js';
import { type ClipVisionOptions, clipVisionForward, constantParams, inputParams } from './model.js';
import type { ClipParams } from './params.js';

export interface ClipVisionRunnerOptions extends ClipVisionOptions {
  /** Intra-op threads (default: all cores). */
  readonly threads?: number;
  /** Task heads (linear or clip_zeroshot) computed on the same graph. */
  readonly heads?: Heads;
  /**
   * 'inputs' (default): weights are graph inputs bound once to the host arrays, so they live in memory
   * once; 'initializers': weights are baked into the ONNX model (ORT may pre-pack them; twice the memory).
   */
  readonly weights?: 'inputs' | 'initializers';
}

export interface ClipVisionResult {
  /** [B, D] */
  readonly pooler_output: Tensor;
  /** [B, N+1, D] */
  readonly last_hidden_state: Tensor;
  /** [B, K] of the requested task, when heads are given */
  readonly logits?: Tensor;
}

export class ClipVisionRunner {
  private readonly graph = new Graph();
  private readonly pixels: Value;
  private readonly outputs: { pooler_output: Value; last_hidden_state: Value };
  private heads?: ReturnType<typeof headInputs>;
  private readonly sessions = new Set<CompiledGraph>();

  private constructor(
    readonly config: ClipVisionConfig,
    private readonly params: ClipParams,
    private readonly options: ClipVisionRunnerOptions,
  ) {
    const { numChannels: c, imageSize: s } = config;
    this.pixels = this.graph.input('pixel_values', 'F32', ['batch', c, s, s]);
    const lookup =
      options.weights === 'initializers'
        ? constantParams(this.graph, params)
        : inputParams(this.graph, config).lookup;
    const out = clipVisionForward(config, lookup, this.pixels, options);
    this.outputs = { pooler_output: out.poolerOutput, last_hidden_state: out.lastHiddenState };
    if (options.heads) validateHeads(options.heads, 'heads', config.hiddenSize);
  }

  /** A runner over in-memory weights (e.g. a merge result). */
  static create(
    model: Pick<ClipVisionModel, 'config' | 'params'>,
    options: ClipVisionRunnerOptions = {},
  ): ClipVisionRunner {
    return new ClipVisionRunner(model.config, model.params, options);
  }

  /** Loads a Hugging Face folder (key and shape checked). */
  static load(dir: string, options: ClipVisionRunnerOptions = {}): ClipVisionRunner {
    return ClipVisionRunner.create(loadClipVision(dir), options);
  }

  /** pooler_output and last_hidden_state of `pixelValues` [B, C, H, W]; with `task`, also its logits. */
  async forward(pixelValues: Tensor, task?: string): Promise<ClipVisionResult> {
    this.checkPixels(pixelValues);
    const outputs: Record<string, Value> = { ...this.outputs };
    let feeds: Record<string, Tensor> = { pixel_values: pixelValues };
    if (task !== undefined) {
      const head = this.taskHeads(task);
      outputs.logits = head.logits;
      feeds = { ...feeds, ...head.feeds };
    }
    const session = await this.session(outputs);
    const result = await session.run(feeds);
    return result as unknown as ClipVisionResult;
  }

  /** Logits of every task come from one graph: the task's head weights are fed with the batch. */
  private taskHeads(task: string): { logits: Value; feeds: Record<string, Tensor> } {
    if (!this.options.heads)
      throw new WemoeError(`forward: task ${task} asked for, but the runner has no heads`);
    this.heads ??= headInputs(this.options.heads, this.outputs.pooler_output);
    return { logits: this.heads.logits, feeds: this.heads.feeds(task) };
  }

  /** The compiled session for `outputs` (cached by the runtime); weights bound on first use. */
  private async session(outputs: Record<string, Value>): Promise<CompiledGraph> {
    const compiled = await compile(outputs, { threads: this.options.threads });
    if (!this.sessions.has(compiled)) {
      const weights = compiled.inputs.filter((v) => this.params.has(v.name));
      if (weights.length)
        compiled.bind(Object.fromEntries(weights.map((v) => [v.name, this.params.get(v.name)!])));
      this.sessions.add(compiled);
    }
    return compiled;
  }

  private checkPixels(t: Tensor): void {
    const { numChannels: c, imageSize: s } = this.config;
    if (
      t.dtype !== 'F32' ||
      t.shape.length !== 4 ||
      t.shape[1] !== c ||
      t.shape[2] !== s ||
      t.shape[3] !== s
    ) {
      throw new WemoeError(
        `pixel_values: expected F32 [B, ${c}, ${s}, ${s}], got ${t.dtype} ${shapeString(t.shape)}`,
      );
    }
  }

  /** Releases the ORT sessions; the runner cannot be used afterwards. */
  async dispose(): Promise<void> {
    for (const compiled of this.sessions) await compiled.dispose();
    this.sessions.clear();
  }
}
