import { WemoeError } from '../../errors.js';
import { numel } from '../../tensor/tensor.js';
import { attrInts } from '../onnx/lower-context.js';
import { strides } from '../shape.js';
import type { Op } from './common.js';

/** Permutes axes: output axis i is input axis perm[i]. */
export const transpose: Op = {
  name: 'Transpose',
  arity: 1,
  infer([x], attrs) {
    const perm = attrs.perm as number[];
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) {
      throw new WemoeError(`Transpose: perm [${perm}] is not a permutation of ${x.shape.length} axes`);
    }
    return { dtype: x.dtype, shape: perm.map((p) => x.shape[p]) };
  },
  lower: (ctx, [x], out, attrs) =>
    ctx.emit('Transpose', [x], [out], { perm: attrInts(attrs.perm as number[]) }),
  grad(g, n) {
    const perm = n.attrs.perm as number[];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [g.transpose(inverse)];
  },
  evaluate([x], attrs) {
    const perm = attrs.perm as number[];
    const shape = perm.map((p) => x.shape[p]);
    const inStrides = strides(x.shape);
    const out = new Float64Array(numel(shape));
    const idx = new Array<number>(shape.length).fill(0);
    for (let flat = 0; flat < out.length; flat++) {
      let src = 0;
      for (let d = 0; d < shape.length; d++) src += idx[d] * inStrides[perm[d]];
      out[flat] = x.data[src];
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
    return { dtype: x.dtype, shape, data: out };
  },
};
