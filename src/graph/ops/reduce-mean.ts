import { staticNumel } from '../shape.js';
import { expandReduced, type Op, reduceAttrs, requireFloat } from './common.js';
import { lowerReduce, reducedInfo, reduceRef } from './reduce.js';

/** Mean over `axes`; with symbolic reduced dims the gradient reads the count at run time (Size). */
export const reduceMean: Op = {
  name: 'ReduceMean',
  arity: 1,
  infer([x], attrs) {
    requireFloat('ReduceMean', x);
    return reducedInfo(x, attrs);
  },
  lower: (ctx, [x], out, attrs) => lowerReduce(ctx, 'ReduceMean', x, out, attrs),
  grad(g, n) {
    const { axes, keepdims } = reduceAttrs(n.attrs);
    const x = n.inputs[0];
    const count = staticNumel(axes.map((a) => x.shape[a]));
    const spread = expandReduced(g, x, axes, keepdims);
    return [count === undefined ? spread.div(x.graph.op('Size', [x], { axes })) : spread.div(count)];
  },
  evaluate: ([x], attrs) =>
    reduceRef(
      x,
      attrs,
      0,
      (a, v) => a + v,
      (a, c) => a / c,
    ),
};
