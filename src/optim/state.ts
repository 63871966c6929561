/** Optimizer state as plain data: JSON-able fields plus named float32 tensors (for checkpoint/resume). */
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

export interface OptimizerState {
  /** 'adam' or 'sgd', the step count and hyperparameters: JSON-serializable. */
  readonly meta: { readonly kind: string; readonly step: number; readonly [key: string]: unknown };
  /** Per-parameter buffers named `<buffer>.<param>` (e.g. `m.router.weight`), float32. */
  readonly tensors: Readonly<Record<string, Tensor>>;
}

/** The F32 storage of `name` in `tensors`, checked against the expected length. */
export function f32Buffer(
  tensors: Readonly<Record<string, Tensor>>,
  name: string,
  length: number,
  what: string,
): Float32Array {
  const t = tensors[name];
  if (t?.dtype !== 'F32' || t.data.length !== length) {
    throw new WemoeError(`${what}: tensor ${name} must be F32 with ${length} values`);
  }
  return t.data as Float32Array;
}

/** A float32 copy of a tensor (state must not alias live buffers). */
export function copyF32(t: Tensor): Tensor {
  return { dtype: 'F32', shape: [...t.shape], data: Float32Array.from(t.data as Float32Array) };
}

/** Checks that every parameter is F32 and every gradient matches its parameter. */
export function checkGrads(
  params: Readonly<Record<string, Tensor>>,
  grads: Readonly<Record<string, Tensor>>,
  what: string,
): void {
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name];
    if (!g) throw new WemoeError(`${what}: no gradient for parameter ${name}`);
    if (g.data.length !== p.data.length || g.dtype !== 'F32') {
      throw new WemoeError(
        `${what}: gradient ${name} must be F32 with ${p.data.length} values, got ${g.dtype} with ${g.data.length}`,
      );
    }
  }
}

/** Checks that all parameters are F32 (optimizers update them in place). */
export function checkParams(params: Readonly<Record<string, Tensor>>, what: string): void {
  for (const [name, p] of Object.entries(params)) {
    if (p.dtype !== 'F32') throw new WemoeError(`${what}: parameter ${name} must be F32, got ${p.dtype}`);
  }
}
