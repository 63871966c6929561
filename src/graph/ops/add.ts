import { binaryOp } from './common.js';

/** a + b (broadcasting). */
export const add = binaryOp(
  'Add',
  (a, b) => a + b,
  (g) => [g, g],
);
