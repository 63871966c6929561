/** Helpers shared by the op files: dtype checks, elementwise op factories, reduce bookkeeping. */
import { WemoeError } from '../../errors.js';
import type { Value } from '../graph.js';
import type { LowerContext } from '../onnx/lower-context.js';
import { mapBroadcast, mapUnary } from '../ref-tensor.js';
import { broadcastShapes } from '../shape.js';
import { type Attrs, type GraphDType, isFloat, type OpDef, type ValueLike } from '../types.js';

export type Op = OpDef<Value>;

export function requireSameDtype(op: string, inputs: readonly ValueLike[]): GraphDType {
  const dtype = inputs[0].dtype;
  for (const x of inputs) {
    if (x.dtype !== dtype)
      throw new WemoeError(
        `${op}: inputs must share one dtype, got ${inputs.map((v) => v.dtype).join(' and ')}`,
      );
  }
  return dtype;
}

export function requireFloat(op: string, x: ValueLike): void {
  if (!isFloat(x.dtype)) throw new WemoeError(`${op}: expected a float input, got ${x.dtype}`);
}

/** Lowering to one ONNX node of the same inputs. */
export function lowerAs(onnxOp: string) {
  return (ctx: LowerContext, inputs: readonly string[], output: string): void =>
    ctx.emit(onnxOp, inputs, [output]);
}

/** A broadcasting binary op whose output has the inputs' dtype (or BOOL for comparisons). */
export function binaryOp(
  name: string,
  fn: (a: number, b: number) => number,
  grad: Op['grad'],
  options: { onnx?: string; bool?: boolean; floatOnly?: boolean } = {},
): Op {
  return {
    name,
    arity: 2,
    infer(inputs) {
      const dtype = requireSameDtype(name, inputs);
      if (options.floatOnly) requireFloat(name, inputs[0]);
      return {
        dtype: options.bool ? 'BOOL' : dtype,
        shape: broadcastShapes(name, inputs[0].shape, inputs[1].shape),
      };
    },
    lower: lowerAs(options.onnx ?? name),
    grad,
    evaluate: (xs) => mapBroadcast(xs, options.bool ? 'BOOL' : xs[0].dtype, fn),
  };
}

/** An elementwise unary op on floats. */
export function unaryOp(name: string, fn: (x: number) => number, grad: Op['grad']): Op {
  return {
    name,
    arity: 1,
    infer(inputs) {
      requireFloat(name, inputs[0]);
      return inputs[0];
    },
    lower: lowerAs(name),
    grad,
    evaluate: (xs) => mapUnary(xs[0], fn),
  };
}

/** The reduced axes and keepdims flag of a Reduce* node. */
export function reduceAttrs(attrs: Attrs): { axes: number[]; keepdims: boolean } {
  return { axes: attrs.axes as number[], keepdims: attrs.keepdims as boolean };
}

/** Shape of `x` with `axes` set to 1 (the keepdims shape). */
export function keptShape(shape: readonly (number | string)[], axes: readonly number[]): (number | string)[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** A gradient in the reduced shape, broadcast back to the input's shape. */
export function expandReduced(g: Value, x: Value, axes: readonly number[], keepdims: boolean): Value {
  const kept = keepdims ? g : g.reshape(keptShape(x.shape, axes));
  return kept.expand(x.shape);
}
