/** What an op's ONNX lowering may do: emit nodes, make constants, build shape tensors for symbolic dims. */
import type { Dim, GraphDType } from '../types.js';

/** An ONNX attribute with its type made explicit (JS numbers do not say int or float). */
export type OnnxAttr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string };

export const attrInt = (value: number): OnnxAttr => ({ kind: 'int', value });
export const attrInts = (value: readonly number[]): OnnxAttr => ({ kind: 'ints', value });
/** ONNX Runtime's operator domain (its fused kernels, such as FastGelu). */
export const MS_DOMAIN = 'com.microsoft';

export const attrFloat = (value: number): OnnxAttr => ({ kind: 'float', value });

export interface LowerContext {
  /** Appends one ONNX node, in the default domain or `domain` (ONNX Runtime's own: MS_DOMAIN). */
  emit(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs?: Record<string, OnnxAttr>,
    domain?: string,
  ): void;
  /** A fresh, unique tensor name. */
  fresh(hint: string): string;
  /** Name of a rank-1 INT64 constant holding `values`. */
  constI64(values: readonly number[]): string;
  /** Name of a rank-0 constant of `dtype`. */
  constScalar(value: number, dtype: GraphDType): string;
  /**
   * Name of a rank-1 INT64 tensor holding `dims` at run time. A symbol is read (ONNX Shape) from an
   * already emitted value that has it; `fallback(i)` gives a literal (such as -1 or 0 for Reshape) for
   * a symbol no emitted value has.
   */
  shapeTensor(dims: readonly Dim[], fallback?: (axis: number) => number | undefined): string;
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Readonly<Record<GraphDType, number>> = {
  F32: 1,
  I32: 6,
  I64: 7,
  BOOL: 9,
  F16: 10,
  F64: 11,
};
