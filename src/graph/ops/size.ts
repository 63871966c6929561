import { attrInt, ONNX_DTYPE } from '../onnx/lower-context.js';
import type { GraphDType } from '../types.js';
import type { Op } from './common.js';

/** Number of elements along `axes` of x, read at run time, as a scalar of x's dtype (for symbolic means). */
export const size: Op = {
  name: 'Size',
  arity: 1,
  infer: ([x]) => ({ dtype: x.dtype, shape: [] }),
  lower(ctx, [x], out, attrs, node) {
    const shape = ctx.fresh('shape');
    const picked = ctx.fresh('dims');
    const count = ctx.fresh('count');
    ctx.emit('Shape', [x], [shape]);
    ctx.emit('Gather', [shape, ctx.constI64(attrs.axes as number[])], [picked], { axis: attrInt(0) });
    ctx.emit('ReduceProd', [picked], [count], { keepdims: attrInt(0) });
    ctx.emit('Cast', [count], [out], { to: attrInt(ONNX_DTYPE[node.inputs[0].dtype as GraphDType]) });
  },
  grad: () => [null],
  evaluate([x], attrs) {
    const n = (attrs.axes as number[]).reduce((acc, a) => acc * x.shape[a], 1);
    return { dtype: x.dtype, shape: [], data: Float64Array.of(n) };
  },
};
