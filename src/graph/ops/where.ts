import { WemoeError } from '../../errors.js';
import { mapBroadcast } from '../ref-tensor.js';
import { broadcastShapes } from '../shape.js';
import { lowerAs, type Op, requireSameDtype } from './common.js';

/** cond ? a : b elementwise (all three broadcast). */
export const where: Op = {
  name: 'Where',
  arity: 3,
  infer([cond, a, b]) {
    if (cond.dtype !== 'BOOL') throw new WemoeError(`Where: the condition must be BOOL, got ${cond.dtype}`);
    const dtype = requireSameDtype('Where', [a, b]);
    return { dtype, shape: broadcastShapes('Where', broadcastShapes('Where', cond.shape, a.shape), b.shape) };
  },
  lower: lowerAs('Where'),
  grad(g, n) {
    const [cond] = n.inputs;
    const zero = g.graph.scalar(0, g.dtype);
    return [null, g.graph.op('Where', [cond, g, zero]), g.graph.op('Where', [cond, zero, g])];
  },
  evaluate: (xs) => mapBroadcast(xs, xs[1].dtype, (c, a, b) => (c ? a : b)),
};
