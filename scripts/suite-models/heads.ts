/**
 * The suite's linear heads (our analogue of CLIP's zero-shot heads): per task, multinomial logistic
 * regression on the FROZEN pre-trained pooler features of its train images, with an L2 penalty that
 * keeps the logits' scale moderate (the test-time methods minimise entropy, which needs experts that
 * are confident on their own task and less so elsewhere).
 */
import { Graph, grad, linear } from '../../src/graph/index.js';
import type { ClipVisionConfig } from '../../src/models/clip-vision/config.js';
import type { ClipParams } from '../../src/models/clip-vision/params.js';
import { ClipVisionRunner } from '../../src/models/clip-vision/runner.js';
import { crossEntropy } from '../../src/models/clip-vision/training.js';
import type { TaskHead } from '../../src/models/heads.js';
import { Adam } from '../../src/optim/adam.js';
import { compile } from '../../src/runtime/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { labelTensor, pixelBatch } from './images.js';
import { countCorrect } from './train-loop.js';

const FEATURE_BATCH = 256;

/** pooler_output F32 [N, D] of the first `count` images (u8 [N, 3, 32, 32]). */
export async function poolerFeatures(
  runner: ClipVisionRunner,
  images: Uint8Array,
  count: number,
): Promise<Tensor> {
  const d = runner.config.hiddenSize;
  const out = new Float32Array(count * d);
  for (let start = 0; start < count; start += FEATURE_BATCH) {
    const indices = Array.from({ length: Math.min(FEATURE_BATCH, count - start) }, (_, i) => start + i);
    const { pooler_output } = await runner.forward(pixelBatch(images, indices));
    out.set(pooler_output.data as Float32Array, start * d);
  }
  return { dtype: 'F32', shape: [count, d], data: out };
}

export interface HeadSettings {
  readonly steps: number;
  readonly lr: number;
  readonly l2: number;
}

/** Full-batch Adam on cross-entropy + l2·‖W‖²_F; returns the head and its train accuracy. */
export async function fitLinearHead(
  features: Tensor,
  labels: readonly number[],
  classes: readonly string[],
  settings: HeadSettings,
  threads: number,
): Promise<{ head: TaskHead; trainAccuracy: number }> {
  const [, d] = features.shape;
  const k = classes.length;
  const graph = new Graph();
  const x = graph.input('features', 'F32', ['n', d]);
  const y = graph.input('labels', 'I64', ['n']);
  const w = graph.input('weight', 'F32', [k, d]);
  const b = graph.input('bias', 'F32', [k]);
  const logits = linear(x, w, b); // [N, K]
  const loss = crossEntropy(logits, y).add(w.mul(w).sum().mul(settings.l2));
  const [gw, gb] = grad(loss, [w, b]);
  const session = await compile({ loss, logits, gw, gb }, { threads });
  const params: Record<string, Tensor> = {
    weight: { dtype: 'F32', shape: [k, d], data: new Float32Array(k * d) },
    bias: { dtype: 'F32', shape: [k], data: new Float32Array(k) },
  };
  const optimizer = new Adam(params, { lr: settings.lr });
  const feeds = { features, labels: labelTensor(labels) };
  try {
    for (let i = 0; i < settings.steps; i++) {
      const out = await session.run({ ...feeds, ...params });
      optimizer.update({ weight: out.gw, bias: out.gb });
    }
    const final = await session.run({ ...feeds, ...params });
    return {
      head: { weight: params.weight, bias: params.bias, classes },
      trainAccuracy: countCorrect(final.logits, labels) / labels.length,
    };
  } finally {
    await session.dispose();
  }
}

/** A runner over `params` for feature extraction. */
export function featureRunner(
  config: ClipVisionConfig,
  params: ClipParams,
  threads: number,
): ClipVisionRunner {
  return ClipVisionRunner.create({ config, params }, { threads });
}
