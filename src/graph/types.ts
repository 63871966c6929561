/** Shared vocabulary of the graph IR: dimensions, value dtypes, reference tensors and the op definition. */
import type { DType } from '../tensor/tensor.js';
import type { LowerContext } from './onnx/lower-context.js';

/** A dimension: a size, or a symbol such as 'batch' whose size is known only when the graph runs. */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** The dtypes a graph value may have. */
export type GraphDType = Extract<DType, 'F32' | 'F64' | 'F16' | 'I64' | 'I32' | 'BOOL'>;

export const GRAPH_DTYPES: readonly GraphDType[] = ['F32', 'F64', 'F16', 'I64', 'I32', 'BOOL'];

export const FLOAT_DTYPES: readonly GraphDType[] = ['F32', 'F64', 'F16'];

export function isFloat(dtype: GraphDType): boolean {
  return FLOAT_DTYPES.includes(dtype);
}

/** Host tensor of the reference interpreter: every element as a float64 (booleans as 0/1). */
export interface RefTensor {
  readonly dtype: GraphDType;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Attribute bag of one node; values are plain JSON-like data. */
export type Attrs = Readonly<Record<string, unknown>>;

/** What an op's shape rule and gradient rule see of a value. */
export interface ValueLike {
  readonly dtype: GraphDType;
  readonly shape: Shape;
}

/**
 * One primitive: its shape/dtype rule, ONNX lowering, gradient rule and reference evaluation.
 * `V` is the graph's Value type (kept generic so that op files need no runtime import of the graph).
 */
export interface OpDef<V extends ValueLike = ValueLike> {
  readonly name: string;
  /** Number of inputs; 'variadic' for ops such as Concat. */
  readonly arity: number | 'variadic';
  /** dtype and shape of the output; throws WemoeError naming the op when the inputs do not fit. */
  infer(inputs: readonly ValueLike[], attrs: Attrs): ValueLike;
  /** Emits the ONNX node(s) computing `output` from `inputs`. */
  lower(ctx: LowerContext, inputs: readonly string[], output: string, attrs: Attrs, node: NodeLike<V>): void;
  /**
   * Gradients of the loss w.r.t. each input, given `g` (gradient w.r.t. the output, in the output's shape).
   * A gradient may keep the output's broadcast shape: autodiff unbroadcasts centrally. null = no gradient.
   * Absent = the op is not differentiable (an error naming the op if a gradient must flow through it).
   */
  grad?(g: V, node: NodeLike<V>): readonly (V | null)[];
  /** Reference evaluation in float64. */
  evaluate(inputs: readonly RefTensor[], attrs: Attrs): RefTensor;
}

/** A node as op rules see it. */
export interface NodeLike<V> {
  readonly op: string;
  readonly inputs: readonly V[];
  readonly attrs: Attrs;
  readonly output: V;
}
