/** Gradient clipping by global L2 norm (as torch.nn.utils.clip_grad_norm_), in place. */
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** Scales all gradients by min(1, maxNorm / ‖g‖) and returns the norm before clipping. */
export function clipGradNorm(grads: Readonly<Record<string, Tensor>>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new WemoeError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  let sumSq = 0;
  for (const [name, g] of Object.entries(grads)) {
    if (g.dtype !== 'F32') throw new WemoeError(`clipGradNorm: gradient ${name} must be F32, got ${g.dtype}`);
    const d = g.data as Float32Array;
    for (let i = 0; i < d.length; i++) sumSq += d[i] * d[i];
  }
  const norm = Math.sqrt(sumSq);
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1) {
    for (const g of Object.values(grads)) {
      const d = g.data as Float32Array;
      for (let i = 0; i < d.length; i++) d[i] *= scale;
    }
  }
  return norm;
}
