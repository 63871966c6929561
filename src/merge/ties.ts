/**
 * Ties-Merging: trim, elect sign, disjoint merge. Yadav et al., "TIES-Merging: Resolving Interference When
 * Merging Models", NeurIPS 2023; FusionBench's definition (method.md): the trim is global over ALL float
 * parameters by default, or per tensor (`trim_scope: per_tensor`, as mergekit does).
 */
import { z } from 'zod';
import { exactTrimBits, mergeEntries } from './kernels/ties-entries.js';
import { kthSmallestMagnitude } from './magnitude-select.js';
import type { MergeTensors, StaticMergeContext, StaticMergeMethod, TensorMerger } from './method.js';
import type { DeferredMerger } from './stream.js';
import { nonFiniteError, TaskVectors, type TaskVectorTransform } from './task-vector.js';
import { GlobalTrimPlanner, keptVotes, type TaskDeltas } from './ties-global.js';
import { sampledTrimBand } from './ties-sample.js';

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
 * θ0 + λ·merged: kept τt are those with |τt| ≥ thresholds[t]; the elected sign is sign(Σt kept τt), or
 * `majority` where that is 0; the kept entries of the elected sign (zeros never count) are summed,
 * averaged, or the largest in magnitude taken. `per_tensor` takes the majority over this tensor's entries
 * (mergekit's scope).
 */
export function tiesMergeTensor(
  pretrained: Float32Array,
  deltas: TaskDeltas,
  thresholds: readonly number[],
  majority: 1 | -1 | 'per_tensor',
  p: Pick<TiesParams, 'scaling_factor' | 'merge_func'>,
): Float32Array {
  const tie = majority === 'per_tensor' ? majoritySign(keptVotes(deltas, thresholds)) : majority;
  const out = new Float32Array(pretrained.length);
  mergeEntries(pretrained, deltas, exactTrimBits(thresholds), { ...p, tie }, out);
  return out;
}

/** A Ties merger over task vectors produced by `transform` (identity for Ties, drop-and-rescale for DARE). */
export function createTiesMerger(
  p: TiesParams,
  context: StaticMergeContext,
  transform?: TaskVectorTransform,
): TensorMerger {
  const vectors = new TaskVectors();
  let zeros = new Float32Array(0);
  // Plain Ties reads τ from the experts on the fly; DARE's dropped τ are materialized (base 0).
  const deltas = (tensors: MergeTensors): TaskDeltas => {
    if (!transform) return { base: tensors.pretrained, arrays: tensors.experts };
    if (zeros.length < tensors.pretrained.length) zeros = new Float32Array(tensors.pretrained.length);
    return {
      base: zeros.subarray(0, tensors.pretrained.length),
      arrays: vectors.compute(tensors, transform),
    };
  };
  if (p.trim_scope === 'per_tensor') {
    return {
      merge(tensors: MergeTensors): Float32Array {
        const taus = vectors.compute(tensors, transform);
        const kth = trimRank(tensors.pretrained.length, p.threshold);
        const thresholds = taus.map((tau) => (tau.length === 0 ? 0 : kthSmallestMagnitude(tau, kth)));
        const zero = new Float32Array(tensors.pretrained.length);
        return tiesMergeTensor(tensors.pretrained, { base: zero, arrays: taus }, thresholds, 'per_tensor', p);
      },
    };
  }
  const kth = trimRank(context.floatParams, p.threshold);
  const planner = GlobalTrimPlanner.forParams(context.tasks.length, kth, context.floatParams);
  const merger: DeferredMerger = {
    // Plain Ties guesses its thresholds from a sample and merges at once; DARE's τ (dropped at random,
    // many zeros) are counted in full.
    prepare: transform
      ? undefined
      : (sources, plan, scratch) => {
          if (context.floatParams === 0) return;
          const band = sampledTrimBand(sources, plan, kth, planner.boundaryBudget, scratch);
          if (band !== null) planner.useBand(band, context.floatParams);
        },
    wantsPass: (pass) => context.floatParams > 0 && planner.wantsPass(pass),
    observe(pass, tensors) {
      // DARE checks for NaN/Inf before its drops could hide them (plain Ties finds them in its histogram).
      if (pass === 1) return planner.countFine(deltas(tensors));
      const bad = planner.countMagnitudes(deltas(tensors));
      if (bad >= 0) throw nonFiniteError(tensors, bad);
    },
    // Plain Ties observes τ a few experts at a time (read and counted while partly in cache); DARE needs
    // them all.
    observeExperts: transform
      ? undefined
      : (pass, pretrained, first, experts) =>
          planner.countTasks(pass, first, { base: pretrained, arrays: experts }),
    endPass: (pass) => planner.endPass(pass),
    merge(tensors, into) {
      const merged = planner.mergeProvisional(tensors.pretrained, deltas(tensors), p, into);
      const bad = planner.nonFiniteTask();
      if (bad >= 0) throw nonFiniteError(tensors, bad);
      return merged;
    },
    finishMerge: () => planner.finishMerge(),
    finalize: (values) => planner.finalize(values, p),
    finalizeAhead: (values) => planner.finalizeAhead(values, p),
    dispose: () => planner.dispose(),
  };
  return merger;
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
