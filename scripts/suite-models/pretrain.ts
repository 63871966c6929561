/**
 * Self-supervised pre-training of the suite's CLIP encoder without task labels: 4-way rotation
 * prediction (Gidaris et al., ICLR 2018) on the pooled train images of all eight tasks, through a
 * throwaway linear pretext head trained with the encoder and not saved.
 */
import { createRandom, deriveSeed } from '../../src/data/random.js';
import { Graph, grad, linear, type Value } from '../../src/graph/index.js';
import type { ClipVisionConfig } from '../../src/models/clip-vision/config.js';
import { clipVisionForward, inputParams } from '../../src/models/clip-vision/model.js';
import { type ClipParams, normalSampler, randomClipParams } from '../../src/models/clip-vision/params.js';
import { crossEntropy } from '../../src/models/clip-vision/training.js';
import { compile } from '../../src/runtime/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { BatchSampler } from '../../src/tta/sampler.js';
import { labelTensor, pixelBatch, randomShift } from './images.js';
import { countCorrect, type TrainSettings, train } from './train-loop.js';

const ROTATIONS = 4;
const PRETEXT_WEIGHT = 'pretext.weight';
const PRETEXT_BIAS = 'pretext.bias';

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

/** Loss and gradients of the encoder plus the pretext head; every parameter is a graph input. */
function pretextGraph(config: ClipVisionConfig): { outputs: Record<string, Value>; trained: string[] } {
  const graph = new Graph();
  const { numChannels: c, imageSize: s, hiddenSize: d } = config;
  const pixels = graph.input('pixel_values', 'F32', ['batch', c, s, s]);
  const labels = graph.input('labels', 'I64', ['batch']);
  const { lookup, values } = inputParams(graph, config);
  values.set(PRETEXT_WEIGHT, graph.input(PRETEXT_WEIGHT, 'F32', [ROTATIONS, d]));
  values.set(PRETEXT_BIAS, graph.input(PRETEXT_BIAS, 'F32', [ROTATIONS]));
  const { poolerOutput } = clipVisionForward(config, lookup, pixels);
  const logits = linear(poolerOutput, values.get(PRETEXT_WEIGHT)!, values.get(PRETEXT_BIAS)); // [B, 4]
  const loss = crossEntropy(logits, labels);
  const trained = [...values.keys()];
  const grads = grad(
    loss,
    trained.map((n) => values.get(n)!),
  );
  const outputs: Record<string, Value> = { loss, logits };
  trained.forEach((n, i) => {
    outputs[`grad.${n}`] = grads[i];
  });
  return { outputs, trained };
}

function pretextHead(d: number, seed: number): Record<string, Tensor> {
  const normal = normalSampler(seed);
  const weight = Float32Array.from({ length: ROTATIONS * d }, () => 0.02 * normal());
  return {
    [PRETEXT_WEIGHT]: { dtype: 'F32', shape: [ROTATIONS, d], data: weight },
    [PRETEXT_BIAS]: { dtype: 'F32', shape: [ROTATIONS], data: new Float32Array(ROTATIONS) },
  };
}

/**
 * Pre-trains an encoder (fresh, or `from` whose tensors are updated in place) on `images`
 * (u8 [N, 3, 32, 32], all tasks pooled); returns its parameters.
 */
export async function pretrainEncoder(
  config: ClipVisionConfig,
  images: Uint8Array,
  count: number,
  settings: TrainSettings & { readonly batchSize: number },
  options: { seed: number; threads: number; log: (line: string) => void; from?: ClipParams },
): Promise<ClipParams> {
  const encoder = options.from ?? initialParams(config, deriveSeed(options.seed, 1));
  const params: Record<string, Tensor> = {
    ...Object.fromEntries(encoder),
    ...pretextHead(config.hiddenSize, deriveSeed(options.seed, 2)),
  };
  const { outputs, trained } = pretextGraph(config);
  const session = await compile(outputs, { threads: options.threads });
  const sampler = new BatchSampler(count, settings.batchSize, deriveSeed(options.seed, 3));
  const random = createRandom(deriveSeed(options.seed, 4));
  try {
    await train(
      'pre-train (rotation)',
      params,
      settings,
      async () => {
        const indices = sampler.next();
        const transforms = indices.map(() => randomShift(random, 2, random.int(ROTATIONS)));
        const turns = transforms.map((t) => t.turns);
        const out = await session.run({
          ...params,
          pixel_values: pixelBatch(images, indices, transforms),
          labels: labelTensor(turns),
        });
        const grads = Object.fromEntries(trained.map((n) => [n, out[`grad.${n}`]]));
        const loss = (out.loss.data as Float32Array)[0];
        return { loss, correct: countCorrect(out.logits, turns), batchSize: indices.length, grads };
      },
      options.log,
    );
  } finally {
    await session.dispose();
  }
  return encoder;
}
