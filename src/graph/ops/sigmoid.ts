import { unaryOp } from './common.js';

/** 1 / (1 + e⁻ˣ); d/dx = σ(1 − σ). */
export const sigmoid = unaryOp(
  'Sigmoid',
  (x) => 1 / (1 + Math.exp(-x)),
  (g, n) => [g.mul(n.output).mul(n.output.neg().add(1))],
);
