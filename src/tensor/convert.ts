/** Dtype conversion of host tensors: any dtype → float32 for compute, float32 → F16/BF16/F64 for storage. */
import { WemoeError } from '../errors.js';
import { bf16ArrayToF32, f16ArrayToF32, f32ArrayToBf16, f32ArrayToF16 } from './f16.js';
import type { DType, Tensor } from './tensor.js';

/** The tensor's values as float32 (returns the tensor's own storage when it is already F32). */
export function toFloat32(t: Tensor): Float32Array {
  const data = t.data;
  switch (t.dtype) {
    case 'F32':
      return data as Float32Array;
    case 'F16':
      return f16ArrayToF32(data as Uint16Array);
    case 'BF16':
      return bf16ArrayToF32(data as Uint16Array);
    case 'I64': {
      const ints = data as BigInt64Array;
      const out = new Float32Array(ints.length);
      for (let i = 0; i < ints.length; i++) out[i] = Number(ints[i]);
      return out;
    }
    default:
      return Float32Array.from(data as Exclude<typeof data, BigInt64Array>);
  }
}

/**
 * The tensor in `dtype`: any dtype converts to F32; F32/F16/BF16/F64 convert to F32, F16, BF16 or F64
 * (F16/BF16 with round-to-nearest-even). Integer targets are accepted only when nothing changes.
 */
export function convertTensor(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const shape = [...t.shape];
  switch (dtype) {
    case 'F32':
      return { dtype, shape, data: toFloat32(t) };
    case 'F64':
      return { dtype, shape, data: Float64Array.from(toFloat32(t)) };
    case 'F16':
      return { dtype, shape, data: f32ArrayToF16(toFloat32(t)) };
    case 'BF16':
      return { dtype, shape, data: f32ArrayToBf16(toFloat32(t)) };
    default:
      throw new WemoeError(
        `convertTensor: cannot convert ${t.dtype} to ${dtype} (integer targets are not supported)`,
      );
  }
}
