import { unaryOp } from './common.js';

/** Natural logarithm. */
export const log = unaryOp('Log', Math.log, (g, n) => [g.div(n.inputs[0])]);
