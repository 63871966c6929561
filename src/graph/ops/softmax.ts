import { attrInt } from '../onnx/lower-context.js';
import { normalizeAxis } from '../shape.js';
import type { RefTensor } from '../types.js';
import { type Op, requireFloat } from './common.js';
import { reduceRef } from './reduce.js';

/** exp(x) / Σ exp(x) along `axis`: one ONNX op; gradient y·(g − Σ g·y) in primitives. */
export const softmax: Op = {
  name: 'Softmax',
  arity: 1,
  infer([x], attrs) {
    requireFloat('Softmax', x);
    normalizeAxis('Softmax', attrs.axis as number, x.shape.length);
    return x;
  },
  lower: (ctx, [x], out, attrs) => ctx.emit('Softmax', [x], [out], { axis: attrInt(attrs.axis as number) }),
  grad(g, n) {
    const y = n.output;
    const axis = normalizeAxis('Softmax', n.attrs.axis as number, y.rank);
    return [y.mul(g.sub(g.mul(y).sum(axis, true)))];
  },
  evaluate([x], attrs) {
    const logp = logSoftmaxRef(x, attrs.axis as number);
    return { ...logp, data: logp.data.map(Math.exp) };
  },
};

/** log softmax in float64 via the max-shifted log-sum-exp. */
export function logSoftmaxRef(x: RefTensor, axisAttr: number): RefTensor {
  const axis = normalizeAxis('Softmax', axisAttr, x.shape.length);
  const attrs = { axes: [axis], keepdims: true };
  const max = reduceRef(x, attrs, Number.NEGATIVE_INFINITY, Math.max);
  const sumExp = new Float64Array(max.data.length);
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const dim = x.shape[axis];
  const inner = x.data.length / outer / dim;
  const at = (o: number, j: number, k: number) => (o * dim + j) * inner + k;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < dim; j++) {
      for (let k = 0; k < inner; k++)
        sumExp[o * inner + k] += Math.exp(x.data[at(o, j, k)] - max.data[o * inner + k]);
    }
  }
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < dim; j++) {
      for (let k = 0; k < inner; k++) {
        const r = o * inner + k;
        out[at(o, j, k)] = x.data[at(o, j, k)] - max.data[r] - Math.log(sumExp[r]);
      }
    }
  }
  return { dtype: x.dtype, shape: x.shape, data: out };
}
