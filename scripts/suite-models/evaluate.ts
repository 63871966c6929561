/**
 * Accuracy and mean prediction entropy of an encoder on the suite's test sets, each task through its own
 * linear head (logits = W·pooler + b, computed here from the pooler output: one ORT session per model).
 */
import { loadSuiteSplit } from '../../src/data/suite.js';
import type { LabeledImages } from '../../src/data/task-data.js';
import type { ClipVisionConfig } from '../../src/models/clip-vision/config.js';
import type { ClipParams } from '../../src/models/clip-vision/params.js';
import type { Heads, TaskHead } from '../../src/models/heads.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { featureRunner, poolerFeatures } from './heads.js';
import { pixelBatch } from './images.js';

export interface TestSet {
  readonly task: string;
  /** u8 [N, 3, 32, 32] */
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly count: number;
}

export interface TaskScore {
  /** Fraction correct in [0, 1]. */
  readonly accuracy: number;
  /** Mean over images of the softmax entropy, in nats. */
  readonly entropy: number;
}

/** The test split of each task (the first `limit` images, class-balanced, when given). */
export function loadTestSets(tasks: readonly string[], limit?: number): TestSet[] {
  return tasks.map((task) => loadSuiteSplit(task, 'test', { limit }));
}

/** The first `limit` test images of `task` as the evaluator takes them (CLIP-normalised on demand). */
export function labeledTestImages(task: string, limit: number): LabeledImages {
  const split = loadSuiteSplit(task, 'test', { limit });
  return {
    task,
    count: split.count,
    classes: split.classes,
    labels: split.labels,
    pixels: (indices) => pixelBatch(split.images, indices),
  };
}

/** Per image: the softmax entropy (nats) of `head` on `pooler` [N, D], and whether its top class is the label. */
export function imageScores(
  head: TaskHead,
  pooler: Tensor,
  labels: Int32Array,
): { entropy: Float64Array; correct: Uint8Array } {
  const [n, d] = pooler.shape;
  const [k] = head.weight.shape;
  const w = head.weight.data as Float32Array;
  const b = head.bias?.data as Float32Array | undefined;
  const x = pooler.data as Float32Array;
  const logits = new Float64Array(k);
  const entropy = new Float64Array(n);
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 0; j < k; j++) {
      let z = b ? b[j] : 0;
      for (let e = 0; e < d; e++) z += w[j * d + e] * x[i * d + e];
      logits[j] = z;
      if (z > logits[best]) best = j;
    }
    correct[i] = best === labels[i] ? 1 : 0;
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[j] - logits[best]);
    // H = log Σ exp(z − max) − Σ p·(z − max)
    let expected = 0;
    for (let j = 0; j < k; j++)
      expected += (Math.exp(logits[j] - logits[best]) / sum) * (logits[j] - logits[best]);
    entropy[i] = Math.log(sum) - expected;
  }
  return { entropy, correct };
}

/** Accuracy and mean entropy of `head` on `pooler` [N, D] against `labels`. */
export function scoreHead(head: TaskHead, pooler: Tensor, labels: Int32Array): TaskScore {
  const { entropy, correct } = imageScores(head, pooler, labels);
  const n = correct.length;
  return {
    accuracy: correct.reduce((a, c) => a + c, 0) / n,
    entropy: entropy.reduce((a, h) => a + h, 0) / n,
  };
}

/** Per task (in `sets` order) the score of `params` with that task's head. */
export async function evaluateEncoder(
  config: ClipVisionConfig,
  params: ClipParams,
  heads: Heads,
  sets: readonly TestSet[],
  threads: number,
): Promise<Map<string, TaskScore>> {
  const runner = featureRunner(config, params, threads);
  const scores = new Map<string, TaskScore>();
  try {
    for (const set of sets) {
      const pooler = await poolerFeatures(runner, set.images, set.count);
      scores.set(set.task, scoreHead(heads.tasks.get(set.task)!, pooler, set.labels));
    }
  } finally {
    await runner.dispose();
  }
  return scores;
}
