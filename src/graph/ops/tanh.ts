import { unaryOp } from './common.js';

/** tanh x; d/dx = 1 − tanh². */
export const tanh = unaryOp('Tanh', Math.tanh, (g, n) => [g.mul(n.output.mul(n.output).neg().add(1))]);
