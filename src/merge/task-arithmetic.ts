/**
 * Task arithmetic: θ = θ0 + λ·Σt τt. Ilharco et al., "Editing models with task arithmetic", ICLR 2023.
 */
import { z } from 'zod';
import { taskArithmeticInto } from './kernels/sum-simd.js';
import type { MergeTensors, StaticMergeMethod } from './method.js';
import { nonFiniteError, type SelfCheckingMerger } from './task-vector.js';

const params = z.strictObject({
  /** λ, the same for every task. */
  scaling_factor: z.number().default(0.3),
});

export type TaskArithmeticParams = z.infer<typeof params>;

export const taskArithmeticMethod: StaticMergeMethod<TaskArithmeticParams> = {
  kind: 'static',
  name: 'task_arithmetic',
  paper: 'Ilharco et al., Editing models with task arithmetic, ICLR 2023',
  description: 'θ = θ0 + λ·Σ τt',
  params,
  createMerger(p: TaskArithmeticParams): SelfCheckingMerger {
    return {
      checksFinite: true,
      merge(tensors: MergeTensors): Float32Array {
        const out = new Float32Array(tensors.pretrained.length);
        if (!taskArithmeticInto(out, tensors.pretrained, tensors.experts, p.scaling_factor))
          throw nonFiniteError(tensors);
        return out;
      },
    };
  },
};
