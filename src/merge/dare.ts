/**
 * DARE (Drop And REscale): drop each task-vector entry with probability p, rescale the survivors by
 * 1/(1−p), then merge by task arithmetic or Ties. Yu et al., "Language Models are Super Mario: Absorbing
 * Abilities from Homologous Models as a Free Lunch", ICML 2024.
 *
 * The drops come from a counter-based hash of (seed, tensor name, task name, entry index): the same
 * seed gives the same model whatever the order tensors are processed in, and Ties' extra passes see the
 * very same dropped vectors.
 */
import { z } from 'zod';
import type { MergeTensors, StaticMergeMethod, TensorMerger } from './method.js';
import { addScaledSum, TaskVectors, type TaskVectorTransform } from './task-vector.js';
import { createTiesMerger, tiesParamsShape } from './ties.js';

const params = z.strictObject({
  /** p: the probability of dropping each task-vector entry. */
  drop_rate: z.number().min(0).lt(1).default(0.5),
  /** Rescale survivors by 1/(1−p) so that the expected task vector is unchanged. */
  rescale: z.boolean().default(true),
  /** What merges the dropped task vectors; threshold, merge_func and trim_scope apply to ties only. */
  merge: z.enum(['task_arithmetic', 'ties']).default('task_arithmetic'),
  ...tiesParamsShape,
});

export type DareParams = z.infer<typeof params>;

/** A 32-bit avalanche mix (Wellons' lowbias32): a bijection, so distinct inputs never collide. */
export function mix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Drops entries of `tau` in place with probability p (seeded by `key`), rescaling survivors by `scale`. */
export function dropAndRescale(tau: Float32Array, p: number, scale: number, key: string): void {
  const k1 = hashString(key);
  const k2 = mix32(k1 ^ 0x9e3779b9);
  const cut = p * 2 ** 32; // hash < cut ⇔ uniform [0, 1) draw < p
  for (let i = 0; i < tau.length; i++) {
    tau[i] = mix32(mix32(i ^ k1) ^ k2) < cut ? 0 : tau[i] * scale;
  }
}

export function dareTransform(
  p: Pick<DareParams, 'drop_rate' | 'rescale'>,
  seed: number,
): TaskVectorTransform {
  const scale = p.rescale ? 1 / (1 - p.drop_rate) : 1;
  return (tau, task, tensorName) =>
    dropAndRescale(tau, p.drop_rate, scale, `${seed}\u0000${tensorName}\u0000${task}`);
}

export const dareMethod: StaticMergeMethod<DareParams> = {
  kind: 'static',
  name: 'dare',
  paper: 'Yu et al., Language Models are Super Mario (DARE), ICML 2024',
  description:
    'drop task-vector entries with probability p, rescale by 1/(1−p), then task arithmetic or Ties',
  params,
  createMerger(p, context): TensorMerger {
    const transform = dareTransform(p, context.seed);
    if (p.merge === 'ties') return createTiesMerger(p, context, transform);
    const vectors = new TaskVectors();
    return {
      passes: 0,
      merge(tensors: MergeTensors): Float32Array {
        return addScaledSum(tensors.pretrained, vectors.compute(tensors, transform), p.scaling_factor);
      },
    };
  },
};
