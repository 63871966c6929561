import { unaryOp } from './common.js';

/** max(x, 0); the gradient at 0 is taken as 0. */
export const relu = unaryOp(
  'Relu',
  (x) => Math.max(x, 0),
  (g, n) => [g.mul(n.inputs[0].gt(0).cast(g.dtype))],
);
