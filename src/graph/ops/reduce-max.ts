import { expandReduced, type Op, reduceAttrs } from './common.js';
import { lowerReduce, reducedInfo, reduceRef } from './reduce.js';

/** Maximum over `axes`; the gradient is shared equally among tied maxima. */
export const reduceMax: Op = {
  name: 'ReduceMax',
  arity: 1,
  infer: ([x], attrs) => reducedInfo(x, attrs),
  lower: (ctx, [x], out, attrs) => lowerReduce(ctx, 'ReduceMax', x, out, attrs),
  grad(g, n) {
    const { axes, keepdims } = reduceAttrs(n.attrs);
    const x = n.inputs[0];
    const top = expandReduced(n.output, x, axes, keepdims);
    const mask = x.eq(top).cast(x.dtype);
    return [expandReduced(g, x, axes, keepdims).mul(mask).div(mask.sum(axes, true))];
  },
  evaluate: ([x], attrs) => reduceRef(x, attrs, Number.NEGATIVE_INFINITY, Math.max),
};
