import { unaryOp } from './common.js';

/** −x. */
export const neg = unaryOp(
  'Neg',
  (x) => -x,
  (g) => [g.neg()],
);
