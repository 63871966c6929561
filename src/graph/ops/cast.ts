import { attrInt, ONNX_DTYPE } from '../onnx/lower-context.js';
import { roundTo } from '../ref-tensor.js';
import { type GraphDType, isFloat } from '../types.js';
import type { Op } from './common.js';

/** Converts to dtype `to` (floats → integers truncate, as ONNX Cast). */
export const cast: Op = {
  name: 'Cast',
  arity: 1,
  infer: ([x], attrs) => ({ dtype: attrs.to as GraphDType, shape: x.shape }),
  lower: (ctx, [x], out, attrs) =>
    ctx.emit('Cast', [x], [out], { to: attrInt(ONNX_DTYPE[attrs.to as GraphDType]) }),
  grad: (g, n) => [isFloat(n.inputs[0].dtype) && isFloat(g.dtype) ? g.cast(n.inputs[0].dtype) : null],
  evaluate([x], attrs) {
    const to = attrs.to as GraphDType;
    return { dtype: to, shape: x.shape, data: x.data.map((v) => roundTo(to, v)) };
  },
};
