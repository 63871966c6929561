/**
 * Classification metrics from logits [B, K] (row-major Float32Array) and integer labels [B]:
 * top-1 accuracy, mean cross-entropy and mean prediction entropy, plus an accumulator over batches.
 * Sums run in float64; softmax is computed through a max-shifted log-sum-exp so large logits stay finite.
 */
import { WemoeError } from '../errors.js';

export interface TaskMetricsResult {
  /** Fraction of samples whose arg-max logit is the label, in [0, 1]. */
  accuracy: number;
  /** Mean cross-entropy −log softmax(logits)[label], in nats. */
  loss: number;
  /** Mean entropy of softmax(logits), in nats (the test-time adaptation objective). */
  entropy: number;
  /** Number of samples seen. */
  count: number;
}

/** Per-batch sums; the accumulator adds these and divides once at the end. */
interface BatchSums {
  correct: number;
  loss: number;
  entropy: number;
}

function checkLogits(logits: Float32Array, batch: number, classes: number): void {
  if (!Number.isInteger(batch) || batch < 0) {
    throw new WemoeError(`metrics: batch must be a non-negative integer, got ${batch}`);
  }
  if (!Number.isInteger(classes) || classes < 1) {
    throw new WemoeError(`metrics: classes must be a positive integer, got ${classes}`);
  }
  if (logits.length !== batch * classes) {
    throw new WemoeError(
      `metrics: logits has ${logits.length} values, expected batch·classes = ${batch}·${classes} = ${batch * classes}`,
    );
  }
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i])) {
      const row = Math.floor(i / classes);
      throw new WemoeError(
        `metrics: logits[${row}, ${i - row * classes}] is ${logits[i]}, expected a finite value`,
      );
    }
  }
}

function checkLabels(labels: Int32Array, batch: number, classes: number): void {
  if (labels.length !== batch) {
    throw new WemoeError(`metrics: labels has ${labels.length} values, expected batch = ${batch}`);
  }
  for (let b = 0; b < batch; b++) {
    if (labels[b] < 0 || labels[b] >= classes) {
      throw new WemoeError(`metrics: labels[${b}] = ${labels[b]}, expected a class index in [0, ${classes})`);
    }
  }
}

/** Index of the largest value in row `b`; the first one on ties (as torch.argmax). */
function argmaxRow(logits: Float32Array, b: number, classes: number): number {
  const offset = b * classes;
  let best = 0;
  for (let k = 1; k < classes; k++) if (logits[offset + k] > logits[offset + best]) best = k;
  return best;
}

/** log Σ exp(row), shifted by the row maximum. */
function logSumExpRow(logits: Float32Array, b: number, classes: number): number {
  const offset = b * classes;
  const max = logits[offset + argmaxRow(logits, b, classes)];
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(logits[offset + k] - max);
  return max + Math.log(sum);
}

/** Entropy of softmax(row) = lse − Σ p·z, written so that no probability is logged. */
function entropyRow(logits: Float32Array, b: number, classes: number, lse: number): number {
  const offset = b * classes;
  let expected = 0;
  for (let k = 0; k < classes; k++) {
    const z = logits[offset + k];
    expected += Math.exp(z - lse) * z;
  }
  return Math.max(0, lse - expected);
}

function batchSums(logits: Float32Array, labels: Int32Array, batch: number, classes: number): BatchSums {
  const sums: BatchSums = { correct: 0, loss: 0, entropy: 0 };
  for (let b = 0; b < batch; b++) {
    const lse = logSumExpRow(logits, b, classes);
    if (argmaxRow(logits, b, classes) === labels[b]) sums.correct += 1;
    sums.loss += lse - logits[b * classes + labels[b]];
    sums.entropy += entropyRow(logits, b, classes, lse);
  }
  return sums;
}

/** Top-1 accuracy of one batch, in [0, 1]. */
export function batchAccuracy(
  logits: Float32Array,
  labels: Int32Array,
  batch: number,
  classes: number,
): number {
  checkLogits(logits, batch, classes);
  checkLabels(labels, batch, classes);
  return batch === 0 ? 0 : batchSums(logits, labels, batch, classes).correct / batch;
}

/** Mean cross-entropy of one batch, in nats. */
export function meanCrossEntropy(
  logits: Float32Array,
  labels: Int32Array,
  batch: number,
  classes: number,
): number {
  checkLogits(logits, batch, classes);
  checkLabels(labels, batch, classes);
  return batch === 0 ? 0 : batchSums(logits, labels, batch, classes).loss / batch;
}

/** Mean entropy of the predicted class distributions of one batch, in nats; needs no labels. */
export function meanPredictionEntropy(logits: Float32Array, batch: number, classes: number): number {
  checkLogits(logits, batch, classes);
  let sum = 0;
  for (let b = 0; b < batch; b++) sum += entropyRow(logits, b, classes, logSumExpRow(logits, b, classes));
  return batch === 0 ? 0 : sum / batch;
}

/** Sums metrics over the batches of one task; `result()` gives the means over all samples added. */
export class TaskMetrics {
  private classes: number | undefined;
  private count = 0;
  private readonly sums: BatchSums = { correct: 0, loss: 0, entropy: 0 };

  add(logits: Float32Array, labels: Int32Array, batch: number, classes: number): void {
    checkLogits(logits, batch, classes);
    checkLabels(labels, batch, classes);
    if (this.classes !== undefined && classes !== this.classes) {
      throw new WemoeError(
        `metrics: classes = ${classes} differs from the ${this.classes} of earlier batches`,
      );
    }
    this.classes = classes;
    const sums = batchSums(logits, labels, batch, classes);
    this.sums.correct += sums.correct;
    this.sums.loss += sums.loss;
    this.sums.entropy += sums.entropy;
    this.count += batch;
  }

  result(): TaskMetricsResult {
    if (this.count === 0) throw new WemoeError('metrics: no samples were added, so there is no result');
    return {
      accuracy: this.sums.correct / this.count,
      loss: this.sums.loss / this.count,
      entropy: this.sums.entropy / this.count,
      count: this.count,
    };
  }
}
