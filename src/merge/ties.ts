/**
 * Ties-Merging: trim, elect sign, disjoint merge. Yadav et al., "TIES-Merging: Resolving Interference When
 * Merging Models", NeurIPS 2023; FusionBench's definition (method.md): the trim is global over ALL float
 * parameters by default, or per tensor (`trim_scope: per_tensor`, as mergekit does).
 */
import { z } from 'zod';
import { kthSmallestMagnitude } from './magnitude-select.js';
import type { MergeTensors, StaticMergeContext, StaticMergeMethod, TensorMerger } from './method.js';
import { TaskVectors, type TaskVectorTransform } from './task-vector.js';
import { GlobalTrimPlanner, keptVotes } from './ties-global.js';

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

/** The sign given to entries whose summed sign is 0: sign of the total vote, +1 if that is 0 too. */
export function majoritySign(votes: number): 1 | -1 {
  return votes < 0 ? -1 : 1;
}

/**
 * θ0 + λ·merged, trim, elect and disjoint merge fused per entry: kept τt are those with |τt| ≥
 * thresholds[t]; the elected sign is sign(Σt kept τt), or `majority` where that is 0; the entries kept
 * whose sign equals it (zeros never count) are summed, averaged, or the largest in magnitude taken.
 * `per_tensor` takes the majority over this tensor's entries (mergekit-style scope).
 */
export function tiesMergeTensor(
  pretrained: Float32Array,
  taus: readonly Float32Array[],
  thresholds: readonly number[],
  majority: 1 | -1 | 'per_tensor',
  p: Pick<TiesParams, 'scaling_factor' | 'merge_func'>,
): Float32Array {
  const n = pretrained.length;
  const count = taus.length;
  const tieSign = majority === 'per_tensor' ? majoritySign(keptVotes(taus, thresholds)) : majority;
  const func = p.merge_func;
  const lambda = p.scaling_factor;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let t = 0; t < count; t++) {
      const v = taus[t][i];
      if (Math.abs(v) >= thresholds[t]) total += v;
    }
    const sign = total > 0 ? 1 : total < 0 ? -1 : tieSign;
    let sum = 0;
    let agreeing = 0;
    let largest = 0;
    for (let t = 0; t < count; t++) {
      const v = taus[t][i];
      if (v * sign > 0 && Math.abs(v) >= thresholds[t]) {
        sum += v;
        agreeing++;
        largest = Math.max(largest, Math.abs(v));
      }
    }
    const merged = func === 'sum' ? sum : func === 'mean' ? sum / Math.max(agreeing, 1) : sign * largest;
    out[i] = pretrained[i] + lambda * merged;
  }
  return out;
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
