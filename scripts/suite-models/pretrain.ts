/**
 * Self-supervised pre-training of the suite's CLIP encoder without task labels: contrastive learning
 * (SimCLR, Chen et al., ICML 2020) on the pooled train images of all eight tasks. Each image of a batch
 * gives two random views; a throwaway projection MLP (not saved) maps the pooler output to a unit
 * vector, and the NT-Xent loss asks each view to pick its partner among the other 2B − 1 views.
 * Measured on this suite: after 1,500 steps the linear heads on the frozen features reach 51% on
 * average against 36% for 4-way rotation prediction after 700 steps, which had stalled at 36% pretext
 * accuracy (README of assets/suite, "How they were made").
 */
import { createRandom, deriveSeed } from '../../src/data/random.js';
import { Graph, gradientOutputs, linear } from '../../src/graph/index.js';
import type { ClipVisionConfig } from '../../src/models/clip-vision/config.js';
import { clipVisionForward, inputParams } from '../../src/models/clip-vision/model.js';
import { type ClipParams, normalSampler, randomClipParams } from '../../src/models/clip-vision/params.js';
import { crossEntropy } from '../../src/models/clip-vision/training.js';
import { compile } from '../../src/runtime/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { BatchSampler } from '../../src/tta/sampler.js';
import { labelTensor } from './images.js';
import { countCorrect, type TrainSettings, train } from './train-loop.js';
import { writeRandomView } from './views.js';

const IMAGE = 3 * 32 * 32;
/** A logit far below any similarity / temperature: removes a view's match with itself. */
const SELF_LOGIT = -1e4;

export interface ContrastiveSettings extends TrainSettings {
  /** Images per step (2 × batchSize views). */
  readonly batchSize: number;
  /** Softmax temperature of the cosine similarities. */
  readonly temperature: number;
  /** Width of the projection MLP's output. */
  readonly projectionDim: number;
}

/** CLIP's init (Hugging Face): random weights, biases 0, LayerNorm scales 1. */
export function initialParams(config: ClipVisionConfig, seed: number): ClipParams {
  const params = randomClipParams(config, seed);
  for (const [name, tensor] of params) {
    const data = tensor.data as Float32Array;
    if (name.endsWith('.bias')) data.fill(0);
    else if (/norm[12]?\.weight$|layrnorm\.weight$/.test(name)) data.fill(1);
  }
  return params;
}

/** The projection MLP (D → D → P, ReLU), trained with the encoder and thrown away. */
function projectionParams(d: number, p: number, seed: number): Record<string, Tensor> {
  const normal = normalSampler(seed);
  const matrix = (rows: number, cols: number): Tensor => ({
    dtype: 'F32',
    shape: [rows, cols],
    data: Float32Array.from({ length: rows * cols }, () => cols ** -0.5 * normal()),
  });
  const zeros = (n: number): Tensor => ({ dtype: 'F32', shape: [n], data: new Float32Array(n) });
  return {
    'projection.0.weight': matrix(d, d),
    'projection.0.bias': zeros(d),
    'projection.1.weight': matrix(p, d),
    'projection.1.bias': zeros(p),
  };
}

/** NT-Xent loss and gradients for a fixed number of views; every parameter is a graph input. */
function contrastiveGraph(config: ClipVisionConfig, views: number, settings: ContrastiveSettings) {
  const graph = new Graph();
  const { numChannels: c, imageSize: s, hiddenSize: d } = config;
  const pixels = graph.input('pixel_values', 'F32', [views, c, s, s]);
  const selfMask = graph.input('self_mask', 'F32', [views, views]);
  const partners = graph.input('partners', 'I64', [views]);
  const { lookup, values } = inputParams(graph, config);
  const shapes: [string, number[]][] = [
    ['projection.0.weight', [d, d]],
    ['projection.0.bias', [d]],
    ['projection.1.weight', [settings.projectionDim, d]],
    ['projection.1.bias', [settings.projectionDim]],
  ];
  for (const [name, shape] of shapes) values.set(name, graph.input(name, 'F32', shape));
  const { poolerOutput } = clipVisionForward(config, lookup, pixels);
  const hidden = linear(
    poolerOutput,
    values.get('projection.0.weight')!,
    values.get('projection.0.bias'),
  ).relu();
  const z = linear(hidden, values.get('projection.1.weight')!, values.get('projection.1.bias'));
  const unit = z.div(z.mul(z).sum(-1, true).add(1e-8).sqrt()); // [V, P]
  const logits = unit
    .matmul(unit, { transposeB: true })
    .mul(1 / settings.temperature)
    .add(selfMask); // [V, V]
  const loss = crossEntropy(logits, partners);
  return gradientOutputs(loss, logits, values);
}

/** Views 0..B−1 and B..2B−1 are the two views of the same B images: each one's partner index. */
function partnerTensors(batch: number): { selfMask: Tensor; partners: number[] } {
  const views = 2 * batch;
  const mask = new Float32Array(views * views);
  for (let i = 0; i < views; i++) mask[i * views + i] = SELF_LOGIT;
  const partners = Array.from({ length: views }, (_, i) => (i < batch ? i + batch : i - batch));
  return { selfMask: { dtype: 'F32', shape: [views, views], data: mask }, partners };
}

/** Pre-trains a fresh encoder on `images` (u8 [N, 3, 32, 32], all tasks pooled); returns its parameters. */
export async function pretrainEncoder(
  config: ClipVisionConfig,
  images: Uint8Array,
  count: number,
  settings: ContrastiveSettings,
  options: { seed: number; threads: number; log: (line: string) => void },
): Promise<ClipParams> {
  const encoder = initialParams(config, deriveSeed(options.seed, 1));
  const params: Record<string, Tensor> = {
    ...Object.fromEntries(encoder),
    ...projectionParams(config.hiddenSize, settings.projectionDim, deriveSeed(options.seed, 2)),
  };
  const batch = settings.batchSize;
  const { outputs, trained } = contrastiveGraph(config, 2 * batch, settings);
  const session = await compile(outputs, { threads: options.threads });
  const sampler = new BatchSampler(count, batch, deriveSeed(options.seed, 3));
  const random = createRandom(deriveSeed(options.seed, 4));
  const { selfMask, partners } = partnerTensors(batch);
  const partnerLabels = labelTensor(partners);
  try {
    await train(
      'pre-train (contrastive)',
      params,
      settings,
      async () => {
        const indices = sampler.next();
        const pixels = new Float32Array(2 * batch * IMAGE);
        indices.forEach((index, i) => {
          const src = images.subarray(index * IMAGE, (index + 1) * IMAGE);
          writeRandomView(src, random, pixels, i * IMAGE);
          writeRandomView(src, random, pixels, (batch + i) * IMAGE);
        });
        const out = await session.run({
          ...params,
          pixel_values: { dtype: 'F32', shape: [2 * batch, 3, 32, 32], data: pixels },
          self_mask: selfMask,
          partners: partnerLabels,
        });
        const grads = Object.fromEntries(trained.map((n) => [n, out[`grad.${n}`]]));
        const loss = (out.loss.data as Float32Array)[0];
        return { loss, correct: countCorrect(out.logits, partners), batchSize: 2 * batch, grads };
      },
      options.log,
    );
  } finally {
    await session.dispose();
  }
  return encoder;
}
