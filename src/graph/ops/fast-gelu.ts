import { MS_DOMAIN } from '../onnx/lower-context.js';
import { type Op, requireFloat } from './common.js';

const C = Math.sqrt(2 / Math.PI);
const K = 0.044715;

/**
 * GELU, tanh approximation (Hugging Face's gelu_new): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) as ONE
 * node, ONNX Runtime's FastGelu kernel (float32 only), instead of nine elementwise passes; the gradient is
 * composed of primitives.
 */
export const fastGelu: Op = {
  name: 'FastGelu',
  arity: 1,
  infer([x]) {
    requireFloat('FastGelu', x);
    return x;
  },
  lower: (ctx, inputs, out) => ctx.emit('FastGelu', inputs, [out], {}, MS_DOMAIN),
  grad(g, n) {
    const [x] = n.inputs;
    const x2 = x.mul(x);
    const t = x.add(x2.mul(x).mul(K)).mul(C).tanh();
    // d/dx: 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)
    const slope = t
      .mul(t)
      .neg()
      .add(1)
      .mul(x2.mul(3 * K).add(1))
      .mul(x)
      .mul(0.5 * C);
    return [g.mul(t.add(1).mul(0.5).add(slope))];
  },
  evaluate([x]) {
    const data = x.data.map((v) => 0.5 * v * (1 + Math.tanh(C * (v + K * v * v * v))));
    return { dtype: x.dtype, shape: x.shape, data };
  },
};
