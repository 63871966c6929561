/**
 * Ties-Merging: trim, elect sign, disjoint merge. Yadav et al., "TIES-Merging: Resolving Interference When
 * Merging Models", NeurIPS 2023; FusionBench's definition (method.md): the trim is global over ALL float
 * parameters by default, or per tensor (`trim_scope: per_tensor`, as mergekit does).
 */
import { z } from 'zod';
import { kthSmallestMagnitude } from './magnitude-select.js';
import type { MergeTensors, StaticMergeContext, StaticMergeMethod, TensorMerger } from './method.js';
import { addScaled, TaskVectors, type TaskVectorTransform } from './task-vector.js';
import { GlobalTrimPlanner } from './ties-global.js';

export const MERGE_FUNCS = ['sum', 'mean', 'max'] as const;
export type MergeFunc = (typeof MERGE_FUNCS)[number];

export const tiesParamsShape = {
  scaling_factor: z.number().default(0.3),
  /** k: the percentage of task-vector entries kept (by magnitude). */
  threshold: z.number().min(0).max(100).default(20),
  merge_func: z.enum(MERGE_FUNCS).default('sum'),
  /** global: one threshold per task over all float parameters (the paper, FusionBench); per_tensor: mergekit. */
  trim_scope: z.enum(['global', 'per_tensor']).default('global'),
};
const params = z.strictObject(tiesParamsShape);

export type TiesParams = z.infer<typeof params>;

/** 1-based rank of the trim threshold among d magnitudes: d − ⌊d·k/100⌋, clamped to ≥ 1. */
export function trimRank(d: number, k: number): number {
  return Math.max(d - Math.floor((d * k) / 100), 1);
}

/** Zeroes, in place, the entries with |τ| below the threshold. */
export function trimBelow(tau: Float32Array, threshold: number): void {
  for (let i = 0; i < tau.length; i++) if (Math.abs(tau[i]) < threshold) tau[i] = 0;
}

/** Σt τt per entry, in float64. */
export function sumVectors(taus: readonly Float32Array[], n: number): Float64Array {
  const sums = new Float64Array(n);
  for (const tau of taus) for (let i = 0; i < n; i++) sums[i] += tau[i];
  return sums;
}

/** Σ over entries of sign(sums): the vote that breaks zero-sign ties. */
export function signTotal(sums: Float64Array): number {
  let total = 0;
  for (let i = 0; i < sums.length; i++) total += sums[i] > 0 ? 1 : sums[i] < 0 ? -1 : 0;
  return total;
}

/** The sign given to entries whose summed sign is 0: sign of the total vote, +1 if that is 0 too. */
export function majoritySign(total: number): 1 | -1 {
  return total < 0 ? -1 : 1;
}

/**
 * Disjoint merge of trimmed task vectors: per entry keep the entries whose sign equals the elected sign
 * (zeros never count), then sum them, average them, or take the one of largest magnitude.
 */
export function disjointMerge(
  taus: readonly Float32Array[],
  sums: Float64Array,
  majority: 1 | -1,
  func: MergeFunc,
): Float64Array {
  const n = sums.length;
  const elected = new Int8Array(n);
  for (let i = 0; i < n; i++) elected[i] = sums[i] > 0 ? 1 : sums[i] < 0 ? -1 : majority;
  const merged = new Float64Array(n);
  const counts = func === 'mean' ? new Uint16Array(n) : null;
  for (const tau of taus) {
    for (let i = 0; i < n; i++) {
      const v = tau[i];
      if (v * elected[i] <= 0) continue;
      if (func === 'max') {
        if (Math.abs(v) > Math.abs(merged[i])) merged[i] = v;
      } else {
        merged[i] += v;
        if (counts) counts[i]++;
      }
    }
  }
  if (counts) for (let i = 0; i < n; i++) if (counts[i] > 1) merged[i] /= counts[i];
  return merged;
}

/** Trims each τt by its threshold, elects signs and merges: θ0 + λ·merged. */
export function tiesMergeTensor(
  pretrained: Float32Array,
  taus: readonly Float32Array[],
  thresholds: readonly number[],
  majority: 1 | -1 | 'per_tensor',
  p: Pick<TiesParams, 'scaling_factor' | 'merge_func'>,
): Float32Array {
  taus.forEach((tau, t) => {
    trimBelow(tau, thresholds[t]);
  });
  const sums = sumVectors(taus, pretrained.length);
  const sign = majority === 'per_tensor' ? majoritySign(signTotal(sums)) : majority;
  return addScaled(pretrained, disjointMerge(taus, sums, sign, p.merge_func), p.scaling_factor);
}

/** A Ties merger over task vectors produced by `transform` (identity for Ties, drop-and-rescale for DARE). */
export function createTiesMerger(
  p: TiesParams,
  context: StaticMergeContext,
  transform?: TaskVectorTransform,
): TensorMerger {
  const vectors = new TaskVectors();
  if (p.trim_scope === 'per_tensor') {
    return {
      merge(tensors: MergeTensors): Float32Array {
        const taus = vectors.compute(tensors, transform);
        const kth = trimRank(tensors.pretrained.length, p.threshold);
        const thresholds = taus.map((tau) => (tau.length === 0 ? 0 : kthSmallestMagnitude(tau, kth)));
        return tiesMergeTensor(tensors.pretrained, taus, thresholds, 'per_tensor', p);
      },
    };
  }
  const planner = new GlobalTrimPlanner(context.tasks.length, trimRank(context.floatParams, p.threshold));
  return {
    wantsPass: (pass) => context.floatParams > 0 && planner.wantsPass(pass),
    observe: (pass, tensors) => planner.observe(pass, vectors.compute(tensors, transform)),
    endPass: (pass) => planner.endPass(pass),
    merge(tensors: MergeTensors): Float32Array {
      const taus = vectors.compute(tensors, transform);
      return tiesMergeTensor(tensors.pretrained, taus, planner.thresholds, planner.majority, p);
    },
  };
}

export const tiesMethod: StaticMergeMethod<TiesParams> = {
  kind: 'static',
  name: 'ties',
  paper: 'Yadav et al., TIES-Merging: Resolving Interference When Merging Models, NeurIPS 2023',
  description:
    'trim each task vector to its top-k% magnitudes, elect signs, disjoint merge; θ = θ0 + λ·merged',
  params,
  createMerger: (p, context) => createTiesMerger(p, context),
};
