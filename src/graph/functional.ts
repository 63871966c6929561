/** Builder functions beyond Value's methods: multi-input ops and composites (no gradient rules of their own). */
import { WemoeError } from '../errors.js';
import type { Value } from './graph.js';
import { normalizeAxis } from './shape.js';

/** softmax along `axis` (one ONNX Softmax). */
export function softmax(x: Value, axis = -1): Value {
  return x.graph.op('Softmax', [x], { axis: normalizeAxis('Softmax', axis, x.rank) });
}

/** log softmax along `axis` (one ONNX LogSoftmax). */
export function logSoftmax(x: Value, axis = -1): Value {
  return x.graph.op('LogSoftmax', [x], { axis: normalizeAxis('LogSoftmax', axis, x.rank) });
}

/** Layer normalization over the last axis; scale and bias have the last axis's size. */
export function layerNorm(x: Value, scale: Value, bias: Value, eps = 1e-5): Value {
  return x.graph.op('LayerNorm', [x, scale, bias], { eps });
}

/** RMS normalization over the last axis (T5LayerNorm): x / √(mean(x²) + eps) · scale. */
export function rmsNorm(x: Value, scale: Value, eps: number): Value {
  return x.graph.op('RmsNorm', [x, scale], { eps });
}

/** GELU, exact (erf) form: x/2 · (1 + erf(x/√2)). */
export function gelu(x: Value): Value {
  return x.mul(x.mul(Math.SQRT1_2).erf().add(1)).mul(0.5);
}

/** GELU, tanh approximation (gelu_new): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); float32 only. */
export function geluTanh(x: Value): Value {
  return x.graph.op('FastGelu', [x]);
}

/** CLIP's quick GELU: x · σ(1.702 x). */
export function quickGelu(x: Value): Value {
  return x.mul(x.mul(1.702).sigmoid());
}

/** cond ? a : b (broadcasting). */
export function where(cond: Value, a: Value | number, b: Value | number): Value {
  const like = typeof a === 'number' ? (b as Value) : a;
  if (typeof like === 'number') throw new WemoeError('where: a or b must be a Value');
  return cond.graph.op('Where', [cond, cond.graph.lift(a, like), cond.graph.lift(b, like)]);
}

/**
 * x clamped to [min, max] elementwise; the gradient passes where min ≤ x ≤ max and is 0 outside (as
 * torch.clamp's).
 */
export function clamp(x: Value, min: number, max: number): Value {
  const below = x.graph.scalar(min, x.dtype).gt(x);
  return where(x.gt(max), max, where(below, min, x));
}

/** Joins values along `axis`. */
export function concat(values: readonly Value[], axis: number): Value {
  if (values.length === 0) throw new WemoeError('concat: needs at least one value');
  return values[0].graph.op('Concat', values, { axis: normalizeAxis('Concat', axis, values[0].rank) });
}

/** y = x·Wᵀ + b with W in PyTorch/Hugging Face layout [out, in]. */
export function linear(x: Value, weight: Value, bias?: Value): Value {
  const y = x.matmul(weight, { transposeB: true });
  return bias ? y.add(bias) : y;
}

/** Σ over the last axis of −p·log p with p = softmax(logits), averaged over the other elements. */
export function meanEntropy(logits: Value): Value {
  const logp = logSoftmax(logits, -1);
  return logp.exp().mul(logp).sum(-1).neg().mean();
}
