import { binaryOp } from './common.js';

/** a > b as BOOL; piecewise constant, so no gradient flows. */
export const greater = binaryOp(
  'Greater',
  (a, b) => (a > b ? 1 : 0),
  () => [null, null],
  { bool: true },
);
