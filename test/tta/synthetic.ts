/**
 * A tiny multi-task problem where tasks are told apart by their input (as MNIST and SUN397 are): each
 * task adds its own signature pattern; each class adds its own pattern. Experts are fine-tuned from a
 * random "pre-trained" encoder with the project's own training graph, heads frozen, as in the paper.
 */
import { createRandom } from '../../src/data/random.js';
import type { Value } from '../../src/graph/graph.js';
import { Graph } from '../../src/graph/graph.js';
import { parseClipVisionConfig } from '../../src/models/clip-vision/config.js';
import { clipVisionForward, type ParamLookup } from '../../src/models/clip-vision/model.js';
import { type ClipParams, randomClipParams } from '../../src/models/clip-vision/params.js';
import { ClipTrainer } from '../../src/models/clip-vision/training.js';
import { headInputs } from '../../src/models/head-logits.js';
import type { Heads } from '../../src/models/heads.js';
import { Adam } from '../../src/optim/adam.js';
import { compile } from '../../src/runtime/compile.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';
import type { TtaTask } from '../../src/tta/loop.js';

export const config = parseClipVisionConfig({
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  image_size: 4,
  patch_size: 2,
});
export const TASKS = ['alpha', 'beta', 'gamma'] as const;
const CLASSES = 4;
const PIXELS = 3 * 16;
// Small heads: an expert is confident on its own task only, the property entropy minimisation relies on.
const HEAD_SCALE = 0.25;

const random = createRandom(77);
const pattern = (scale: number) => Float32Array.from({ length: PIXELS }, () => scale * random.normal());
const signature = new Map(TASKS.map((t) => [t, pattern(1.5)]));
const classPatterns = new Map(TASKS.map((t) => [t, Array.from({ length: CLASSES }, () => pattern(1))]));

export interface Samples {
  readonly pixels: Tensor;
  readonly labels: number[];
}

export function samples(task: string, count: number, seed: number): Samples {
  const r = createRandom(seed);
  const data = new Float32Array(count * PIXELS);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = r.int(CLASSES);
    labels.push(label);
    const sig = signature.get(task as (typeof TASKS)[number])!;
    const cls = classPatterns.get(task as (typeof TASKS)[number])![label];
    for (let j = 0; j < PIXELS; j++) data[i * PIXELS + j] = sig[j] + cls[j] + 0.6 * r.normal();
  }
  return { pixels: float32([count, 3, 4, 4], data), labels };
}

export const pretrained = randomClipParams(config, 5);

export const heads: Heads = {
  kind: 'linear',
  tasks: new Map(
    TASKS.map((t) => [
      t,
      {
        weight: float32(
          [CLASSES, 16],
          Array.from({ length: CLASSES * 16 }, () => HEAD_SCALE * random.normal()),
        ),
        classes: ['a', 'b', 'c', 'd'],
      },
    ]),
  ),
};

/** Fine-tunes every encoder parameter on `task` with the head frozen. */
export async function fineTune(task: string, steps: number): Promise<ClipParams> {
  const trainer = await ClipTrainer.create(config, heads.tasks.get(task)!);
  const params: ClipParams = new Map(
    [...pretrained].map(([n, t]) => [n, { ...t, data: Float32Array.from(t.data as Float32Array) }]),
  );
  const adam = new Adam(Object.fromEntries(params), { lr: 3e-3 });
  for (let s = 0; s < steps; s++) {
    const batch = samples(task, 32, 1000 + s);
    const labels = { dtype: 'I64' as const, shape: [32], data: BigInt64Array.from(batch.labels.map(BigInt)) };
    adam.update((await trainer.step(params, batch.pixels, labels)).grads);
  }
  await trainer.dispose();
  return params;
}

/** Accuracy and mean entropy of a model (given as a pooler builder) on `task`'s samples. */
export async function evaluate(
  pooler: (x: Value) => Value,
  task: string,
  data: Samples,
): Promise<{ accuracy: number; entropy: number }> {
  const g = new Graph();
  const x = g.input('pixel_values', 'F32', ['batch', 3, 4, 4]);
  const { logits, feeds } = headInputs(heads, pooler(x));
  const session = await compile({ logits });
  const out = (await session.run({ pixel_values: data.pixels, ...feeds(task) })).logits.data as Float32Array;
  let correct = 0;
  let entropy = 0;
  data.labels.forEach((label, i) => {
    const row = Array.from(out.subarray(i * CLASSES, (i + 1) * CLASSES));
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    const z = exps.reduce((a, b) => a + b, 0);
    entropy -= exps.reduce((a, e) => a + (e / z) * Math.log(e / z), 0);
    if (row.indexOf(max) === label) correct++;
  });
  return { accuracy: correct / data.labels.length, entropy: entropy / data.labels.length };
}

export function plainPooler(lookup: (g: Graph) => ParamLookup): (x: Value) => Value {
  return (x) => clipVisionForward(config, lookup(x.graph), x).poolerOutput;
}

/** A TtaTask over a fixed set of unlabeled samples. */
export function ttaTask(task: string, data: Samples): TtaTask {
  const n = data.labels.length;
  return {
    name: task,
    count: n,
    pixels: (indices) => {
      const out = new Float32Array(indices.length * PIXELS);
      indices.forEach((k, i) => {
        out.set((data.pixels.data as Float32Array).subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      });
      return float32([indices.length, 3, 4, 4], out);
    },
  };
}
