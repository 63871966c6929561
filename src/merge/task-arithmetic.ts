/**
 * Task arithmetic: θ = θ0 + λ·Σt τt. Ilharco et al., "Editing models with task arithmetic", ICLR 2023.
 */
import { z } from 'zod';
import type { MergeTensors, StaticMergeMethod, TensorMerger } from './method.js';

const params = z.strictObject({
  /** λ, the same for every task. */
  scaling_factor: z.number().default(0.3),
});

export type TaskArithmeticParams = z.infer<typeof params>;

/** θ0 + λ·Σt (θt − θ0), summed in float64 and rounded once; one sweep over memory. */
export function taskArithmetic(
  pretrained: Float32Array,
  experts: readonly Float32Array[],
  lambda: number,
): Float32Array {
  const n = pretrained.length;
  const count = experts.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let t = 0; t < count; t++) sum += experts[t][i];
    out[i] = pretrained[i] + lambda * (sum - count * pretrained[i]);
  }
  return out;
}

export const taskArithmeticMethod: StaticMergeMethod<TaskArithmeticParams> = {
  kind: 'static',
  name: 'task_arithmetic',
  paper: 'Ilharco et al., Editing models with task arithmetic, ICLR 2023',
  description: 'θ = θ0 + λ·Σ τt',
  params,
  createMerger(p: TaskArithmeticParams): TensorMerger {
    return {
      merge: (tensors: MergeTensors) => taskArithmetic(tensors.pretrained, tensors.experts, p.scaling_factor),
    };
  },
};
