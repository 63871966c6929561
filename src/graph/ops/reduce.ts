/** Shared pieces of the Reduce* ops: output info, ONNX lowering, reference loop. */
import { numel } from '../../tensor/tensor.js';
import { attrInt, type LowerContext } from '../onnx/lower-context.js';
import { strides } from '../shape.js';
import type { Attrs, RefTensor, ValueLike } from '../types.js';
import { keptShape, reduceAttrs } from './common.js';

/** Output dtype and shape of a Reduce* node. */
export function reducedInfo(x: ValueLike, attrs: Attrs): ValueLike {
  const { axes, keepdims } = reduceAttrs(attrs);
  return {
    dtype: x.dtype,
    shape: keepdims ? keptShape(x.shape, axes) : x.shape.filter((_, i) => !axes.includes(i)),
  };
}

/** ONNX opset 18 reductions take their axes as an input. */
export function lowerReduce(ctx: LowerContext, onnxOp: string, x: string, out: string, attrs: Attrs): void {
  const { axes, keepdims } = reduceAttrs(attrs);
  // ONNX reads empty axes as "all axes"; in the IR they mean "none".
  if (axes.length === 0) ctx.emit('Identity', [x], [out]);
  else ctx.emit(onnxOp, [x, ctx.constI64(axes)], [out], { keepdims: attrInt(keepdims ? 1 : 0) });
}

/** Reduces the node's axes with `combine` from `init`, then maps each result with `finish(acc, count)`. */
export function reduceRef(
  x: RefTensor,
  attrs: Attrs,
  init: number,
  combine: (acc: number, v: number) => number,
  finish: (acc: number, count: number) => number = (acc) => acc,
): RefTensor {
  const { axes, keepdims } = reduceAttrs(attrs);
  const kept = keptShape(x.shape, axes) as number[];
  const keptStrides = strides(kept);
  const out = new Float64Array(numel(kept)).fill(init);
  const idx = new Array<number>(x.shape.length).fill(0);
  for (let flat = 0; flat < x.data.length; flat++) {
    let dst = 0;
    for (let d = 0; d < idx.length; d++) if (kept[d] !== 1) dst += idx[d] * keptStrides[d];
    out[dst] = combine(out[dst], x.data[flat]);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < x.shape[d]) break;
      idx[d] = 0;
    }
  }
  const count = out.length === 0 ? 0 : x.data.length / out.length;
  for (let i = 0; i < out.length; i++) out[i] = finish(out[i], count);
  const shape = keepdims ? kept : x.shape.filter((_, i) => !axes.includes(i));
  return { dtype: x.dtype, shape, data: out };
}
