import { binaryOp } from './common.js';

/** a · b (broadcasting). */
export const mul = binaryOp(
  'Mul',
  (a, b) => a * b,
  (g, n) => [g.mul(n.inputs[1]), g.mul(n.inputs[0])],
);
