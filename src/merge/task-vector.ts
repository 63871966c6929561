/**
 * The core shared by task arithmetic, Ties and DARE: task vectors τt = θt − θ0 of one tensor, computed
 * into reusable buffers, and θ = θ0 + λ·merged.
 */
import { WemoeError } from '../errors.js';
import { blockSums } from '../tensor/block-sums.js';
import type { MergeTensors } from './method.js';

/** Edits task t's vector in place after it is computed (DARE's drop and rescale). */
export type TaskVectorTransform = (tau: Float32Array, task: string, tensorName: string) => void;

/** Reusable task-vector buffers, one per task, grown to the largest tensor seen. */
export class TaskVectors {
  private buffers: Float32Array[] = [];

  /**
   * τt for every task of `tensors` (views valid until the next call), optionally transformed. With
   * `check` off, NaN/Inf pass through: for callers that count them themselves (Ties' magnitude histogram).
   */
  compute(tensors: MergeTensors, transform?: TaskVectorTransform, check = true): Float32Array[] {
    const n = tensors.pretrained.length;
    const out: Float32Array[] = [];
    for (let t = 0; t < tensors.experts.length; t++) {
      if (this.buffers.length <= t || this.buffers[t].length < n) this.buffers[t] = new Float32Array(n);
      const tau = this.buffers[t].subarray(0, n);
      if (!check) subtract(tau, tensors.experts[t], tensors.pretrained);
      else if (!subtractInto(tau, tensors.experts[t], tensors.pretrained)) throw nonFiniteError(tensors, t);
      transform?.(tau, tensors.tasks[t], tensors.name);
      out.push(tau);
    }
    return out;
  }
}

function subtract(out: Float32Array, a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] - b[i];
}

/**
 * out = a − b; false when a or b holds NaN or ±Inf (x − x is NaN exactly then, and NaN survives the sum).
 * A float32 overflow of the difference itself shows up later, in the check of the merged tensor.
 */
export function subtractInto(out: Float32Array, a: Float32Array, b: Float32Array): boolean {
  let probe = 0;
  for (let i = 0; i < out.length; i++) {
    const v = a[i] - b[i];
    out[i] = v;
    probe += v - v;
  }
  return probe === 0;
}

/** θ0 + λ·Σt τt, as a new array (summed in float64 in task order, rounded once). */
export function addScaledSum(
  pretrained: Float32Array,
  taus: readonly Float32Array[],
  lambda: number,
): Float32Array {
  const out = new Float32Array(pretrained.length);
  blockSums(taus, out.length, (sums, start, count) => {
    for (let j = 0; j < count; j++) out[start + j] = pretrained[start + j] + lambda * sums[j];
  });
  return out;
}

/** Whether no value is NaN or ±Inf (v − v is 0 exactly for finite v; four sums keep the adds independent). */
export function isAllFinite(values: Float32Array): boolean {
  const n = values.length;
  const whole = n - (n % 4);
  let [a, b, c, d] = [0, 0, 0, 0];
  for (let i = 0; i < whole; i += 4) {
    a += values[i] - values[i];
    b += values[i + 1] - values[i + 1];
    c += values[i + 2] - values[i + 2];
    d += values[i + 3] - values[i + 3];
  }
  for (let i = whole; i < n; i++) a += values[i] - values[i];
  return a + b + c + d === 0;
}

export function countNonFinite(values: Float32Array): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) count++;
  return count;
}

/** Names the models whose copy of the tensor holds NaN/Inf (or an overflow when none does). */
export function nonFiniteError(tensors: MergeTensors, task?: number): WemoeError {
  const culprits: string[] = [];
  const pretrainedBad = countNonFinite(tensors.pretrained);
  if (pretrainedBad > 0) culprits.push(`pretrained (${pretrainedBad} of ${tensors.pretrained.length})`);
  tensors.experts.forEach((expert, t) => {
    const bad = countNonFinite(expert);
    if (bad > 0) culprits.push(`expert '${tensors.tasks[t]}' (${bad} of ${expert.length})`);
  });
  if (culprits.length === 0)
    return overflowError(tensors.name, task === undefined ? undefined : tensors.tasks[task]);
  return new WemoeError(
    `merge: tensor '${tensors.name}': non-finite values in ${culprits.join(', ')}; expected finite weights`,
  );
}

/** A non-finite result from finite weights: a float32 overflow, in the merge or in one task's vector. */
export function overflowError(tensorName: string, task?: string): WemoeError {
  const where = task === undefined ? '' : ` in the task vector of '${task}'`;
  return new WemoeError(
    `merge: tensor '${tensorName}': a non-finite result${where} (overflow); expected finite weights`,
  );
}
