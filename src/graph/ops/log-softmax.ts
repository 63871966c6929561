import { attrInt } from '../onnx/lower-context.js';
import { normalizeAxis } from '../shape.js';
import { type Op, requireFloat } from './common.js';
import { logSoftmaxRef } from './softmax.js';

/** x − log Σ exp(x) along `axis`: one ONNX op; gradient g − softmax·Σ g in primitives. */
export const logSoftmax: Op = {
  name: 'LogSoftmax',
  arity: 1,
  infer([x], attrs) {
    requireFloat('LogSoftmax', x);
    normalizeAxis('LogSoftmax', attrs.axis as number, x.shape.length);
    return x;
  },
  lower: (ctx, [x], out, attrs) =>
    ctx.emit('LogSoftmax', [x], [out], { axis: attrInt(attrs.axis as number) }),
  grad(g, n) {
    const y = n.output;
    const axis = normalizeAxis('LogSoftmax', n.attrs.axis as number, y.rank);
    return [g.sub(y.exp().mul(g.sum(axis, true)))];
  },
  evaluate: ([x], attrs) => logSoftmaxRef(x, attrs.axis as number),
};
