import { unaryOp } from './common.js';

/** √x; d/dx = 1 / (2√x). */
export const sqrt = unaryOp('Sqrt', Math.sqrt, (g, n) => [g.div(n.output.mul(2))]);
