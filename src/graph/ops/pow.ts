import { binaryOp } from './common.js';

/** a ** b (broadcasting, floats); d/db uses log(a) and is NaN for a ≤ 0, as in any framework. */
export const pow = binaryOp(
  'Pow',
  (a, b) => a ** b,
  (g, n) => {
    const [a, b] = n.inputs;
    return [g.mul(b).mul(a.pow(b.sub(1))), g.mul(n.output).mul(a.log())];
  },
  { floatOnly: true },
);
