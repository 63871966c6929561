import { binaryOp } from './common.js';

/** a == b as BOOL; piecewise constant, so no gradient flows. */
export const equal = binaryOp(
  'Equal',
  (a, b) => (a === b ? 1 : 0),
  () => [null, null],
  { bool: true },
);
