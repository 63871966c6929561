/**
 * Full fine-tuning of the CLIP vision encoder (how the demo experts are made): one graph computes the
 * cross-entropy of a frozen linear head and the gradient of every encoder parameter; one step = one run.
 */

import { WemoeError } from '../../errors.js';
import { Graph, gradientOutputs, logSoftmax, type Value } from '../../graph/index.js';
import { type CompiledGraph, type CompileOptions, compile } from '../../runtime/index.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { type HeadLogitsKind, logitsFrom } from '../head-logits.js';
import type { TaskHead } from '../heads.js';
import { runTrainingStep } from '../training-step.js';
import type { ClipVisionConfig } from './config.js';
import { type ClipVisionOptions, clipVisionForward, inputParams } from './model.js';
import type { ClipParams } from './params.js';

export interface ClipTrainingOptions extends ClipVisionOptions {
  /** How the head turns pooler outputs into logits (default: linear). */
  readonly headKind?: HeadLogitsKind;
}

export interface ClipTrainingGraph {
  readonly graph: Graph;
  /** 'loss' [] (mean cross-entropy), 'logits' [B, K] and 'grad.{name}' for every encoder parameter. */
  readonly outputs: Readonly<Record<string, Value>>;
  /** Encoder parameter names: graph inputs fed with the current weights every step. */
  readonly paramNames: readonly string[];
}

/** Mean over the batch of −log softmax(logits)[label]; labels I64 [B] in [0, K). */
export function crossEntropy(logits: Value, labels: Value): Value {
  const k = logits.shape[logits.rank - 1];
  if (typeof k !== 'number') {
    throw new WemoeError(
      `crossEntropy: the class dimension of logits must be static, got ${JSON.stringify(k)}`,
    );
  }
  const classes = logits.graph.constantI64(Array.from({ length: k }, (_, i) => i)); // [K]
  const oneHot = labels.reshape([0, 1]).eq(classes).cast(logits.dtype); // [B, K]
  return logSoftmax(logits, -1).mul(oneHot).sum(-1).mean().neg();
}

/**
 * The training graph: inputs `pixel_values` [B, C, H, W] F32, `labels` [B] I64 and every encoder
 * parameter by its HF name; the head (weight [K, D], bias [K]) is frozen into the graph.
 */
export function buildClipTrainingGraph(
  config: ClipVisionConfig,
  head: Pick<TaskHead, 'weight' | 'bias'>,
  options: ClipTrainingOptions = {},
): ClipTrainingGraph {
  const headKind = options.headKind ?? { kind: 'linear' };
  const [k, e] = head.weight.shape;
  const width = headKind.kind === 'linear' ? config.hiddenSize : headKind.visualProjection?.shape[0];
  if (head.weight.shape.length !== 2 || e !== width || k < 2) {
    throw new WemoeError(
      `training head: weight is ${shapeString(head.weight.shape)}, expected [K ≥ 2, ${width}]`,
    );
  }
  const graph = new Graph();
  const { numChannels: c, imageSize: s } = config;
  const pixels = graph.input('pixel_values', 'F32', ['batch', c, s, s]);
  const labels = graph.input('labels', 'I64', ['batch']);
  const { lookup, values } = inputParams(graph, config);
  const { poolerOutput } = clipVisionForward(config, lookup, pixels, options);
  const weight = graph.constant(head.weight, 'head.weight'); // [K, D], frozen
  const bias = head.bias ? graph.constant(head.bias, 'head.bias') : undefined; // [K]
  const logits = logitsFrom(headKind, weight, bias, poolerOutput); // [B, K]
  const loss = crossEntropy(logits, labels);
  const { outputs, trained } = gradientOutputs(loss, logits, values);
  return { graph, outputs, paramNames: trained };
}

export interface ClipTrainingStep {
  readonly loss: number;
  /** [B, K] */
  readonly logits: Tensor;
  /** Parameter name → gradient of the mean loss. */
  readonly grads: Record<string, Tensor>;
}

/** The training graph compiled once; `step` feeds the current weights and a labelled batch. */
export class ClipTrainer {
  private constructor(
    readonly training: ClipTrainingGraph,
    private readonly compiled: CompiledGraph,
  ) {}

  static async create(
    config: ClipVisionConfig,
    head: Pick<TaskHead, 'weight' | 'bias'>,
    options: ClipTrainingOptions & Pick<CompileOptions, 'threads'> = {},
  ): Promise<ClipTrainer> {
    const training = buildClipTrainingGraph(config, head, options);
    return new ClipTrainer(training, await compile(training.outputs, { threads: options.threads }));
  }

  /** Loss, logits and gradients for `pixelValues` [B, C, H, W] with `labels` I64 [B]. */
  async step(params: ClipParams, pixelValues: Tensor, labels: Tensor): Promise<ClipTrainingStep> {
    if (labels.dtype !== 'I64' || labels.shape.length !== 1 || labels.shape[0] !== pixelValues.shape[0]) {
      throw new WemoeError(
        `labels: expected I64 [${pixelValues.shape[0]}], got ${labels.dtype} ${shapeString(labels.shape)}`,
      );
    }
    const k = this.training.outputs.logits.shape[1] as number;
    const bad = (labels.data as BigInt64Array).find((label) => label < 0n || label >= BigInt(k));
    if (bad !== undefined)
      throw new WemoeError(`labels: ${bad} is outside [0, ${k}) (the head has ${k} classes)`);
    const feeds = { pixel_values: pixelValues, labels };
    return runTrainingStep(
      this.compiled,
      this.training.paramNames,
      feeds,
      (n) => params.get(n),
      'training step',
    );
  }

  async dispose(): Promise<void> {
    await this.compiled.dispose();
  }
}
