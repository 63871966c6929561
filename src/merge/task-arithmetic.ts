/**
 * Task arithmetic: θ = θ0 + λ·Σt τt. Ilharco et al., "Editing models with task arithmetic", ICLR 2023.
 */
import { z } from 'zod';
import type { StaticMergeMethod, TensorMerger } from './method.js';
import { blockSums } from './task-vector.js';

const params = z.strictObject({
  /** λ, the same for every task. */
  scaling_factor: z.number().default(0.3),
});

export type TaskArithmeticParams = z.infer<typeof params>;

/** θ0 + λ·Σt (θt − θ0), as θ0 + λ·(Σt θt − count·θ0) summed in float64 in task order and rounded once. */
export function taskArithmetic(
  pretrained: Float32Array,
  experts: readonly Float32Array[],
  lambda: number,
): Float32Array {
  const out = new Float32Array(pretrained.length);
  const count = experts.length;
  blockSums(experts, out.length, (sums, start, n) => {
    for (let j = 0, i = start; j < n; j++, i++)
      out[i] = pretrained[i] + lambda * (sums[j] - count * pretrained[i]);
  });
  return out;
}

export const taskArithmeticMethod: StaticMergeMethod<TaskArithmeticParams> = {
  kind: 'static',
  name: 'task_arithmetic',
  paper: 'Ilharco et al., Editing models with task arithmetic, ICLR 2023',
  description: 'θ = θ0 + λ·Σ τt',
  params,
  createMerger: (p: TaskArithmeticParams): TensorMerger => ({
    passes: 0,
    merge: (tensors) => taskArithmetic(tensors.pretrained, tensors.experts, p.scaling_factor),
  }),
};
