/** Reference-interpreter tensors (float64 storage) and the loops the op evaluations share. */
import { WemoeError } from '../errors.js';
import { numel, type Tensor } from '../tensor/tensor.js';
import { strides } from './shape.js';
import type { GraphDType, RefTensor } from './types.js';

export function ref(
  dtype: GraphDType,
  shape: readonly number[],
  data: Float64Array | readonly number[],
): RefTensor {
  const values = data instanceof Float64Array ? data : Float64Array.from(data);
  if (values.length !== numel(shape)) {
    throw new WemoeError(
      `reference tensor of shape [${shape.join(', ')}] needs ${numel(shape)} values, got ${values.length}`,
    );
  }
  return { dtype, shape: [...shape], data: values };
}

/** A host tensor as a reference tensor (float64 copy). */
export function toRef(t: Tensor): RefTensor {
  if (t.dtype === 'F16' || t.dtype === 'BF16') {
    throw new WemoeError(`reference interpreter: dtype ${t.dtype} is not supported; convert to F32 first`);
  }
  const data = new Float64Array(t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Number(t.data[i]);
  return { dtype: t.dtype as GraphDType, shape: [...t.shape], data };
}

/** A reference tensor as a host tensor of its dtype. */
export function fromRef(r: RefTensor): Tensor {
  const shape = [...r.shape];
  switch (r.dtype) {
    case 'F32':
      return { dtype: 'F32', shape, data: Float32Array.from(r.data) };
    case 'F64':
      return { dtype: 'F64', shape, data: Float64Array.from(r.data) };
    case 'I64':
      return { dtype: 'I64', shape, data: BigInt64Array.from(r.data, (x) => BigInt(Math.trunc(x))) };
    case 'I32':
      return { dtype: 'I32', shape, data: Int32Array.from(r.data) };
    case 'BOOL':
      return { dtype: 'BOOL', shape, data: Uint8Array.from(r.data, (x) => (x ? 1 : 0)) };
    default:
      throw new WemoeError(`reference interpreter: dtype ${r.dtype} is not supported`);
  }
}

/** Numpy broadcast of concrete shapes. */
export function broadcastConcrete(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      if (s[i] !== 1 && out[j] !== 1 && s[i] !== out[j]) {
        throw new WemoeError(
          `reference: shapes ${shapes.map((x) => `[${x}]`).join(' and ')} do not broadcast`,
        );
      }
      if (s[i] !== 1) out[j] = s[i];
    }
  }
  return out;
}

/** For each element of `outShape`, the flat index into a tensor of `shape` broadcast to it. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = numel(outShape);
  const rank = outShape.length;
  const inStrides = strides(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < n; flat++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) {
      const od = rank - shape.length + d;
      if (shape[d] !== 1) src += idx[od] * inStrides[d];
    }
    map[flat] = src;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return map;
}

/** Elementwise map over broadcast inputs. */
export function mapBroadcast(
  inputs: readonly RefTensor[],
  dtype: GraphDType,
  fn: (...xs: number[]) => number,
): RefTensor {
  const shape = broadcastConcrete(inputs.map((t) => t.shape));
  const maps = inputs.map((t) => broadcastIndex(t.shape, shape));
  const out = new Float64Array(numel(shape));
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < out.length; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k].data[maps[k][i]];
    out[i] = fn(...args);
  }
  return { dtype, shape, data: out };
}

export function mapUnary(x: RefTensor, fn: (v: number) => number): RefTensor {
  return { dtype: x.dtype, shape: x.shape, data: x.data.map(fn) };
}

/** Rounds as the given dtype would store the value (float32 rounding, integer truncation). */
export function roundTo(dtype: GraphDType, v: number): number {
  if (dtype === 'F32') return Math.fround(v);
  if (dtype === 'I64' || dtype === 'I32') return Math.trunc(v);
  if (dtype === 'BOOL') return v ? 1 : 0;
  return v;
}
