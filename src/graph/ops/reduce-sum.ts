import { expandReduced, type Op, reduceAttrs } from './common.js';
import { lowerReduce, reducedInfo, reduceRef } from './reduce.js';

/** Sum over `axes` (attrs: axes sorted and non-negative, keepdims). */
export const reduceSum: Op = {
  name: 'ReduceSum',
  arity: 1,
  infer: ([x], attrs) => reducedInfo(x, attrs),
  lower: (ctx, [x], out, attrs) => lowerReduce(ctx, 'ReduceSum', x, out, attrs),
  grad(g, n) {
    const { axes, keepdims } = reduceAttrs(n.attrs);
    return [expandReduced(g, n.inputs[0], axes, keepdims)];
  },
  evaluate: ([x], attrs) => reduceRef(x, attrs, 0, (a, v) => a + v),
};
