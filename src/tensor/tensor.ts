/** Host tensors: a dtype, a shape and typed-array storage (row-major). Shared by io/, merge/, runtime/. */

export type DType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** F16 and BF16 are stored as raw 16-bit patterns; BOOL as one byte per element. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export const DTYPES = Object.keys(DTYPE_BYTES) as DType[];

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_BYTES, value);
}

/** Number of elements; 1 for a rank-0 tensor. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function float32(shape: readonly number[], data?: Float32Array | readonly number[]): Tensor {
  const n = numel(shape);
  const storage = data === undefined ? new Float32Array(n) : Float32Array.from(data);
  if (storage.length !== n) {
    throw new Error(`float32 tensor of shape [${shape.join(', ')}] needs ${n} values, got ${storage.length}`);
  }
  return { dtype: 'F32', shape: [...shape], data: storage };
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
