/**
 * Task arithmetic: θ = θ0 + λ·Σt τt. Ilharco et al., "Editing models with task arithmetic", ICLR 2023.
 */
import { z } from 'zod';
import { taskArithmetic } from '../tensor/task-arithmetic.js';
import type { StaticMergeMethod, TensorMerger } from './method.js';

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
  createMerger: (p: TaskArithmeticParams): TensorMerger => ({
    passes: 0,
    merge: (tensors) => taskArithmetic(tensors.pretrained, tensors.experts, p.scaling_factor),
  }),
};
