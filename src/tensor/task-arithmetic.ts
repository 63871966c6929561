/**
 * Task arithmetic on one tensor in plain typed-array loops, for code below the merge layer (the WEMoE
 * model's shared parameters). Ilharco et al., "Editing models with task arithmetic", ICLR 2023.
 */
import { blockSums } from './block-sums.js';

/**
 * θ0 + λ·Σt (θt − θ0), computed as float32(θ0 + λ·(Σt θt − count·θ0)) with the sum in float64 in task
 * order from +0: the same IEEE operations in the same order as the task_arithmetic merge method, so the
 * results are identical to it.
 */
export function taskArithmetic(
  pretrained: Float32Array,
  experts: readonly Float32Array[],
  lambda: number,
): Float32Array {
  const out = new Float32Array(pretrained.length);
  const count = experts.length;
  blockSums(experts, out.length, (sums, start, n) => {
    for (let j = 0; j < n; j++) {
      const base = pretrained[start + j];
      out[start + j] = base + lambda * (sums[j] - count * base);
    }
  });
  return out;
}
