import { binaryOp } from './common.js';

/** a / b (broadcasting); integer division truncates as in ONNX. */
export const div = binaryOp(
  'Div',
  (a, b) => a / b,
  (g, n) => [g.div(n.inputs[1]), g.mul(n.output).div(n.inputs[1]).neg()],
);
