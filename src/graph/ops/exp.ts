import { unaryOp } from './common.js';

/** eˣ; its gradient reuses the output. */
export const exp = unaryOp('Exp', Math.exp, (g, n) => [g.mul(n.output)]);
