import { WemoeError } from '../../errors.js';
import { attrInt, type OnnxAttr } from '../onnx/lower-context.js';
import type { Op } from './common.js';
import { wrapIndex } from './gather.js';

/**
 * Scatter-add of `g` (x's shape with `axis` replaced by the index count) into zeros shaped like `x` at
 * rank-1 `idx`: the gradient of Gather. Inputs: g, idx, x (x only lends its shape).
 */
export const gatherGrad: Op = {
  name: 'GatherGrad',
  arity: 3,
  infer([g, idx, x]) {
    if (idx.shape.length !== 1 || g.shape.length !== x.shape.length) {
      throw new WemoeError('GatherGrad: expects rank-1 indices and updates of the rank of x');
    }
    return { dtype: g.dtype, shape: x.shape };
  },
  lower(ctx, [g, idx, x], out, attrs, node) {
    const axis = attrs.axis as number;
    const rank = node.inputs[2].shape.length;
    const column = new Array<number>(rank).fill(1);
    column[axis] = -1;
    const idxColumn = ctx.fresh('idx_column');
    const idxFull = ctx.fresh('idx_full');
    const gShape = ctx.fresh('g_shape');
    const xShape = ctx.fresh('x_shape');
    const zeros = ctx.fresh('zeros');
    ctx.emit('Reshape', [idx, ctx.constI64(column)], [idxColumn]);
    ctx.emit('Shape', [g], [gShape]);
    ctx.emit('Expand', [idxColumn, gShape], [idxFull]);
    ctx.emit('Shape', [x], [xShape]);
    ctx.emit('Expand', [ctx.constScalar(0, node.inputs[0].dtype), xShape], [zeros]);
    const reduction: OnnxAttr = { kind: 'string', value: 'add' };
    ctx.emit('ScatterElements', [zeros, idxFull, g], [out], { axis: attrInt(axis), reduction });
  },
  grad: (gg, n) => [gg.gather(n.attrs.axis as number, n.inputs[1]), null, null],
  evaluate([g, idx, x], attrs) {
    const axis = attrs.axis as number;
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const dim = x.shape[axis];
    const m = idx.data.length;
    const out = new Float64Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < m; j++) {
        const dst = (o * dim + wrapIndex(idx.data[j], dim)) * inner;
        const src = (o * m + j) * inner;
        for (let k = 0; k < inner; k++) out[dst + k] += g.data[src + k];
      }
    }
    return { dtype: g.dtype, shape: x.shape, data: out };
  },
};
