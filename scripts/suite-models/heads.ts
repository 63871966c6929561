/**
 * The suite's heads (our analogue of CLIP's zero-shot heads): per task, the nearest class mean of a few
 * train images per class on the FROZEN pre-trained pooler features, as a linear head with a calibrated
 * temperature. Like CLIP's text-derived heads they are fixed class embeddings that the pre-trained
 * features fit only roughly, so an expert (fine-tuned with its head frozen) has much to gain; linear
 * probes fitted on thousands of images left the experts too little once the encoder was strong.
 */
import type { ClipVisionConfig } from '../../src/models/clip-vision/config.js';
import type { ClipParams } from '../../src/models/clip-vision/params.js';
import { ClipVisionRunner } from '../../src/models/clip-vision/runner.js';
import type { TaskHead } from '../../src/models/heads.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { pixelBatch } from './images.js';
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
  /** Train images per class whose mean feature is the class's prototype. */
  readonly imagesPerClass: number;
}

/** Scales searched for the logits' temperature: 2^lo … 2^hi. */
const LOG2_SCALE_RANGE = [-8, 4] as const;
const SCALE_SEARCH_STEPS = 40;

/**
 * Nearest-class-mean head: μc = mean pooler feature of the first `imagesPerClass` images of class c,
 * logits = s·(μc·x − ½‖μc‖²) (the Euclidean nearest mean, as a linear head), with the one scalar s set by
 * maximum likelihood on all the given features so that the head's confidence is calibrated.
 */
export function prototypeHead(
  features: Tensor,
  labels: readonly number[],
  classes: readonly string[],
  settings: HeadSettings,
): { head: TaskHead; trainAccuracy: number } {
  const [n, d] = features.shape;
  const k = classes.length;
  const x = features.data as Float32Array;
  const mu = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (counts[c] >= settings.imagesPerClass) continue;
    counts[c]++;
    for (let e = 0; e < d; e++) mu[c * d + e] += x[i * d + e];
  }
  const missing = classes.filter((_, c) => counts[c] === 0);
  if (missing.length > 0) throw new Error(`no image of class ${missing.join(', ')} among the ${n} given`);
  for (let c = 0; c < k; c++) for (let e = 0; e < d; e++) mu[c * d + e] /= counts[c];
  const squares = new Float64Array(k);
  for (let c = 0; c < k; c++) for (let e = 0; e < d; e++) squares[c] += mu[c * d + e] ** 2;
  const z = new Float64Array(n * k); // logits at s = 1
  for (let i = 0; i < n; i++)
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let e = 0; e < d; e++) dot += mu[c * d + e] * x[i * d + e];
      z[i * k + c] = dot - 0.5 * squares[c];
    }
  const scale = 2 ** ternaryMinimum((log2) => meanNll(z, labels, k, 2 ** log2), LOG2_SCALE_RANGE);
  const bias = Float32Array.from(squares, (sq) => -0.5 * scale * sq);
  const correct = countCorrect({ dtype: 'F64', shape: [n, k], data: z }, labels);
  return {
    head: {
      weight: { dtype: 'F32', shape: [k, d], data: Float32Array.from(mu, (m) => scale * m) },
      bias: { dtype: 'F32', shape: [k], data: bias },
      classes,
    },
    trainAccuracy: correct / n,
  };
}

/**
 * Mean cross-entropy of the logits s·z [N, K] against `labels`, in double precision (eval/metrics'
 * meanCrossEntropy takes F32 logits; rounding them would move the fitted temperature, and the heads).
 */
function meanNll(z: Float64Array, labels: readonly number[], k: number, s: number): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, s * z[i * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(s * z[i * k + c] - max);
    total += max + Math.log(sum) - s * z[i * k + labels[i]];
  }
  return total / labels.length;
}

/** Ternary search for the minimum of a unimodal f on [lo, hi]. */
function ternaryMinimum(f: (t: number) => number, [lo, hi]: readonly [number, number]): number {
  for (let step = 0; step < SCALE_SEARCH_STEPS; step++) {
    const a = lo + (hi - lo) / 3;
    const b = hi - (hi - lo) / 3;
    if (f(a) < f(b)) hi = b;
    else lo = a;
  }
  return (lo + hi) / 2;
}

/** A runner over `params` for feature extraction. */
export function featureRunner(
  config: ClipVisionConfig,
  params: ClipParams,
  threads: number,
): ClipVisionRunner {
  return ClipVisionRunner.create({ config, params }, { threads });
}
