import { WemoeError } from '../../errors.js';
import { attrFloat, attrInt } from '../onnx/lower-context.js';
import { shapeText } from '../shape.js';
import { type Op, requireFloat, requireSameDtype } from './common.js';

/**
 * (x − mean) / √(var + eps) · scale + bias over the last axis (biased variance, as PyTorch):
 * one ONNX LayerNormalization; the gradient recomputes x̂ in primitives.
 */
export const layerNorm: Op = {
  name: 'LayerNorm',
  arity: 3,
  infer([x, scale, bias]) {
    requireSameDtype('LayerNorm', [x, scale, bias]);
    requireFloat('LayerNorm', x);
    const d = x.shape[x.shape.length - 1];
    if (scale.shape.length !== 1 || bias.shape.length !== 1 || scale.shape[0] !== d || bias.shape[0] !== d) {
      throw new WemoeError(
        `LayerNorm: scale ${shapeText(scale.shape)} and bias ${shapeText(bias.shape)} must be [${d}]`,
      );
    }
    return x;
  },
  lower: (ctx, inputs, out, attrs) =>
    ctx.emit('LayerNormalization', inputs, [out], {
      axis: attrInt(-1),
      epsilon: attrFloat(attrs.eps as number),
    }),
  grad(g, n) {
    const [x, scale] = n.inputs;
    const centered = x.sub(x.mean(-1, true));
    const rstd = centered
      .mul(centered)
      .mean(-1, true)
      .add(n.attrs.eps as number)
      .sqrt();
    const xhat = centered.div(rstd);
    const gx = g.mul(scale);
    const dx = gx
      .sub(gx.mean(-1, true))
      .sub(xhat.mul(gx.mul(xhat).mean(-1, true)))
      .div(rstd);
    return [dx, g.mul(xhat), g];
  },
  evaluate([x, scale, bias], attrs) {
    const d = x.shape[x.shape.length - 1];
    const out = new Float64Array(x.data.length);
    for (let r = 0; r < x.data.length / d; r++) {
      const row = x.data.subarray(r * d, (r + 1) * d);
      const mean = row.reduce((a, v) => a + v, 0) / d;
      const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / d;
      const rstd = 1 / Math.sqrt(variance + (attrs.eps as number));
      for (let i = 0; i < d; i++) out[r * d + i] = (row[i] - mean) * rstd * scale.data[i] + bias.data[i];
    }
    return { dtype: x.dtype, shape: x.shape, data: out };
  },
};
