/** AdaMerging's clamp mode 'parameter': every λ projected onto [0, 1] after each optimizer step. */
import type { Tensor } from '../tensor/tensor.js';

/** The loop's afterStep hook that projects `lambdas` (F32, updated in place) onto [0, 1]. */
export function unitProjection(lambdas: Tensor): () => void {
  const lam = lambdas.data as Float32Array;
  return () => {
    for (let i = 0; i < lam.length; i++) lam[i] = Math.min(1, Math.max(0, lam[i]));
  };
}
