import { binaryOp } from './common.js';

/** a − b (broadcasting). */
export const sub = binaryOp(
  'Sub',
  (a, b) => a - b,
  (g) => [g, g.neg()],
);
