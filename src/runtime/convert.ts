/** Host Tensor ⇄ onnxruntime-node Tensor, without copying the typed arrays. */
import * as ort from 'onnxruntime-node';
import { WemoeError } from '../errors.js';
import type { DType, Tensor, TensorData } from '../tensor/tensor.js';

const TO_ORT: Partial<Record<DType, ort.Tensor.Type>> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

const FROM_ORT = Object.fromEntries(Object.entries(TO_ORT).map(([k, v]) => [v, k])) as Partial<
  Record<string, DType>
>;

/** Wrappers of host tensors fed before: a training loop feeds the same parameter objects every step. */
const wrappers = new WeakMap<Tensor, ort.Tensor>();

/** Wraps a host tensor for ORT (the same memory; the wrapper is reused while `t` keeps its data). */
export function toOrt(t: Tensor, what: string): ort.Tensor {
  const known = wrappers.get(t);
  if (known && known.data === t.data) return known;
  const type = TO_ORT[t.dtype];
  if (!type) throw new WemoeError(`${what}: dtype ${t.dtype} cannot be passed to ONNX Runtime`);
  const wrapped = new ort.Tensor(type, t.data as never, [...t.shape]);
  wrappers.set(t, wrapped);
  return wrapped;
}

/** Views an ORT output as a host tensor (the same memory). */
export function fromOrt(t: ort.Tensor, what: string): Tensor {
  const dtype = FROM_ORT[t.type];
  if (!dtype) throw new WemoeError(`${what}: ONNX Runtime returned unsupported type ${t.type}`);
  return { dtype, shape: [...t.dims], data: t.data as TensorData };
}
