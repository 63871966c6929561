/**
 * The suite's experts: the whole pre-trained encoder fine-tuned on one task with that task's linear
 * head frozen (as the paper's experts were fine-tuned with CLIP's zero-shot heads frozen).
 */
import { createRandom, deriveSeed } from '../../src/data/random.js';
import type { ClipVisionConfig } from '../../src/models/clip-vision/config.js';
import type { ClipParams } from '../../src/models/clip-vision/params.js';
import { ClipTrainer } from '../../src/models/clip-vision/training.js';
import type { TaskHead } from '../../src/models/heads.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { BatchSampler } from '../../src/tta/sampler.js';
import { labelTensor, pixelBatch, randomShift } from './images.js';
import { countCorrect, type TrainSettings, train } from './train-loop.js';

/** A deep copy (the optimizer updates in place; the pre-trained weights must stay untouched). */
function cloneParams(params: ClipParams): ClipParams {
  return new Map([...params].map(([n, t]) => [n, { ...t, data: Float32Array.from(t.data as Float32Array) }]));
}

export interface TaskTrainData {
  readonly task: string;
  /** u8 [N, 3, 32, 32] */
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly count: number;
}

/** Fine-tunes a copy of `pretrained` on `data` with `head` frozen; shifts of ≤ 2 pixels augment. */
export async function fineTuneExpert(
  config: ClipVisionConfig,
  pretrained: ClipParams,
  head: TaskHead,
  data: TaskTrainData,
  settings: TrainSettings & { readonly batchSize: number },
  options: { seed: number; threads: number; log: (line: string) => void },
): Promise<ClipParams> {
  const params = cloneParams(pretrained);
  const trainer = await ClipTrainer.create(config, head, { threads: options.threads });
  const sampler = new BatchSampler(data.count, settings.batchSize, deriveSeed(options.seed, 1));
  const random = createRandom(deriveSeed(options.seed, 2));
  const trained: Record<string, Tensor> = Object.fromEntries(params);
  try {
    await train(
      `expert ${data.task}`,
      trained,
      settings,
      async () => {
        const indices = sampler.next();
        const labels = indices.map((i) => data.labels[i]);
        const pixels = pixelBatch(
          data.images,
          indices,
          indices.map(() => randomShift(random, 2)),
        );
        const out = await trainer.step(params, pixels, labelTensor(labels));
        return {
          loss: out.loss,
          correct: countCorrect(out.logits, labels),
          batchSize: indices.length,
          grads: out.grads,
        };
      },
      options.log,
    );
  } finally {
    await trainer.dispose();
  }
  return params;
}
