/**
 * Ties-Merging: trim, elect sign, disjoint merge. Yadav et al., "TIES-Merging: Resolving Interference When
 * Merging Models", NeurIPS 2023, as FusionBench defines it: the trim is global over ALL float parameters
 * by default, or per tensor (`trim_scope: per_tensor`, as mergekit does).
 *
 * The global trim streams: a sampled pass brackets each task's threshold (ties-bracket.ts), a fine pass
 * pins the exact thresholds and counts the majority sign (ties-global.ts), then the merge pass merges every
 * entry at once (ties-entries.ts).
 */
import { z } from 'zod';
import { kthSmallestMagnitude } from './magnitude-select.js';
import type { MergeTensors, StaticMergeContext, StaticMergeMethod, TensorMerger } from './method.js';
import { nonFiniteError, TaskVectors, type TaskVectorTransform } from './task-vector.js';
import { majoritySign, type TaskDeltas, tiesMerge, tiesVotes } from './ties-entries.js';
import { GlobalTrim } from './ties-global.js';

export { majoritySign } from './ties-entries.js';

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

/** A Ties merger over task vectors produced by `transform` (identity for Ties, drop-and-rescale for DARE). */
export function createTiesMerger(
  p: TiesParams,
  context: StaticMergeContext,
  transform?: TaskVectorTransform,
): TensorMerger {
  const vectors = new TaskVectors();
  let zeros = new Float32Array(0);
  const zerosOf = (n: number) => {
    if (zeros.length < n) zeros = new Float32Array(n);
    return zeros.subarray(0, n);
  };
  // Plain Ties reads τ from the experts on the fly; DARE's dropped τ are made first (base 0).
  const deltas = (tensors: MergeTensors): TaskDeltas =>
    transform
      ? { base: zerosOf(tensors.pretrained.length), arrays: vectors.compute(tensors, transform) }
      : { base: tensors.pretrained, arrays: tensors.experts };
  if (p.trim_scope === 'per_tensor') {
    return {
      passes: 0,
      merge(tensors) {
        // τ made (and checked for NaN/Inf) once: the threshold, the votes and the merge each read it.
        const taus = vectors.compute(tensors, transform);
        const kth = trimRank(tensors.pretrained.length, p.threshold);
        const thresholds = Float64Array.from(taus, (tau) =>
          tau.length === 0 ? 0 : kthSmallestMagnitude(tau, kth),
        );
        const taskDeltas = { base: zerosOf(tensors.pretrained.length), arrays: taus };
        const tie = majoritySign(tiesVotes(taskDeltas, thresholds));
        return tiesMerge(tensors.pretrained, taskDeltas, thresholds, { ...p, tie });
      },
    };
  }

  const trim = GlobalTrim.forModels(
    context.tasks.length,
    trimRank(context.floatParams, p.threshold),
    context.floatParams,
  );
  return {
    get passes() {
      return context.floatParams > 0 ? trim.passes : 0;
    },
    observe(pass, tensors) {
      trim.observe(pass, deltas(tensors));
      const bad = trim.nonFiniteTask();
      if (bad >= 0) throw nonFiniteError(tensors, bad);
    },
    merge(tensors) {
      trim.finish();
      return tiesMerge(tensors.pretrained, deltas(tensors), trim.thresholds, { ...p, tie: trim.majority });
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
