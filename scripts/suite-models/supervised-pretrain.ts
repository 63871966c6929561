/**
 * The second pre-training stage of the suite's encoder: supervised classification of the glyph corpus
 * (glyph-corpus.ts), starting from the contrastive encoder. A throwaway linear classifier over the pooler
 * output (not saved) is trained with the encoder on cross-entropy; every image is seen through a random
 * view (views.ts), as in the contrastive stage. Measured (assets/suite/README.md): from a random init the
 * 936-way task does not start within 900 steps (loss stays at ln 936), from the contrastive encoder it does.
 */
import { createRandom, deriveSeed } from '../../src/data/random.js';
import { Graph, gradientOutputs, linear } from '../../src/graph/index.js';
import type { ClipVisionConfig } from '../../src/models/clip-vision/config.js';
import { clipVisionForward, inputParams } from '../../src/models/clip-vision/model.js';
import { type ClipParams, normalSampler } from '../../src/models/clip-vision/params.js';
import { crossEntropy } from '../../src/models/clip-vision/training.js';
import { compile } from '../../src/runtime/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { BatchSampler } from '../../src/tta/sampler.js';
import type { GlyphCorpus } from './glyph-corpus.js';
import { labelTensor } from './images.js';
import { countCorrect, type TrainSettings, train } from './train-loop.js';
import { writeRandomView } from './views.js';

const IMAGE = 3 * 32 * 32;
const CLASSIFIER_INIT_STD = 0.02;
/** Seed streams of this stage under the build's seed (1–4: the contrastive stage and corpus, 100+: experts). */
const STREAM = { classifier: 12, batches: 13, views: 14 } as const;

export interface SupervisedSettings extends TrainSettings {
  readonly batchSize: number;
}

/** Cross-entropy of the throwaway classifier and the gradient of every parameter (all graph inputs). */
function classificationGraph(config: ClipVisionConfig, batch: number, classes: number) {
  const graph = new Graph();
  const { numChannels: c, imageSize: s, hiddenSize: d } = config;
  const pixels = graph.input('pixel_values', 'F32', [batch, c, s, s]);
  const labels = graph.input('labels', 'I64', [batch]);
  const { lookup, values } = inputParams(graph, config);
  values.set('classifier.weight', graph.input('classifier.weight', 'F32', [classes, d]));
  values.set('classifier.bias', graph.input('classifier.bias', 'F32', [classes]));
  const { poolerOutput } = clipVisionForward(config, lookup, pixels);
  const logits = linear(poolerOutput, values.get('classifier.weight')!, values.get('classifier.bias'));
  const loss = crossEntropy(logits, labels);
  return gradientOutputs(loss, logits, values);
}

function classifierParams(d: number, classes: number, seed: number): Record<string, Tensor> {
  const normal = normalSampler(seed);
  return {
    'classifier.weight': {
      dtype: 'F32',
      shape: [classes, d],
      data: Float32Array.from({ length: classes * d }, () => CLASSIFIER_INIT_STD * normal()),
    },
    'classifier.bias': { dtype: 'F32', shape: [classes], data: new Float32Array(classes) },
  };
}

/** Trains `encoder` (updated in place and returned) on the corpus' labels. */
export async function pretrainSupervised(
  config: ClipVisionConfig,
  encoder: ClipParams,
  corpus: GlyphCorpus,
  settings: SupervisedSettings,
  options: { seed: number; threads: number; log: (line: string) => void },
): Promise<ClipParams> {
  const batch = settings.batchSize;
  const params: Record<string, Tensor> = {
    ...Object.fromEntries(encoder),
    ...classifierParams(config.hiddenSize, corpus.classes, deriveSeed(options.seed, STREAM.classifier)),
  };
  const { outputs, trained } = classificationGraph(config, batch, corpus.classes);
  const session = await compile(outputs, { threads: options.threads });
  const sampler = new BatchSampler(corpus.count, batch, deriveSeed(options.seed, STREAM.batches));
  const random = createRandom(deriveSeed(options.seed, STREAM.views));
  try {
    await train(
      `pre-train (supervised, ${corpus.classes} glyph classes)`,
      params,
      settings,
      async () => {
        const indices = sampler.next();
        const pixels = new Float32Array(batch * IMAGE);
        indices.forEach((index, i) => {
          writeRandomView(
            corpus.images.subarray(index * IMAGE, (index + 1) * IMAGE),
            random,
            pixels,
            i * IMAGE,
          );
        });
        const labels = indices.map((i) => corpus.labels[i]);
        const out = await session.run({
          ...params,
          pixel_values: { dtype: 'F32', shape: [batch, 3, 32, 32], data: pixels },
          labels: labelTensor(labels),
        });
        const grads = Object.fromEntries(trained.map((n) => [n, out[`grad.${n}`]]));
        const loss = (out.loss.data as Float32Array)[0];
        return { loss, correct: countCorrect(out.logits, labels), batchSize: batch, grads };
      },
      options.log,
    );
  } finally {
    await session.dispose();
  }
  return encoder;
}
