import { WemoeError } from '../../errors.js';
import { attrFloat, attrInt } from '../onnx/lower-context.js';
import { shapeText } from '../shape.js';
import { type Op, requireFloat, requireSameDtype } from './common.js';

/**
 * x / √(mean(x²) + eps) · scale over the last axis (T5's layer norm: no mean subtraction, no bias): one
 * SimplifiedLayerNormalization, ONNX Runtime's fused kernel (one pass instead of six elementwise ops);
 * the gradient recomputes 1/√(mean(x²) + eps) in primitives.
 */
export const rmsNorm: Op = {
  name: 'RmsNorm',
  arity: 2,
  infer([x, scale]) {
    requireSameDtype('RmsNorm', [x, scale]);
    requireFloat('RmsNorm', x);
    const d = x.shape[x.shape.length - 1];
    if (scale.shape.length !== 1 || scale.shape[0] !== d)
      throw new WemoeError(`RmsNorm: scale ${shapeText(scale.shape)} must be [${d}]`);
    return x;
  },
  lower: (ctx, inputs, out, attrs) =>
    ctx.emit('SimplifiedLayerNormalization', inputs, [out], {
      axis: attrInt(-1),
      epsilon: attrFloat(attrs.eps as number),
    }),
  grad(g, n) {
    const [x, scale] = n.inputs;
    const rstd = x
      .mul(x)
      .mean(-1, true)
      .add(n.attrs.eps as number)
      .sqrt(); // [.., 1]
    const xhat = x.div(rstd);
    const gx = g.mul(scale);
    const dx = gx.sub(xhat.mul(gx.mul(xhat).mean(-1, true))).div(rstd);
    return [dx, g.mul(xhat)];
  },
  evaluate([x, scale], attrs) {
    const d = x.shape[x.shape.length - 1];
    const out = new Float64Array(x.data.length);
    for (let r = 0; r < x.data.length / d; r++) {
      const row = x.data.subarray(r * d, (r + 1) * d);
      const rstd = 1 / Math.sqrt(row.reduce((a, v) => a + v * v, 0) / d + (attrs.eps as number));
      for (let i = 0; i < d; i++) out[r * d + i] = row[i] * rstd * scale.data[i];
    }
    return { dtype: x.dtype, shape: x.shape, data: out };
  },
};
