import { broadcastConcrete, broadcastIndex } from '../ref-tensor.js';
import { broadcastShapes } from '../shape.js';
import type { Dim } from '../types.js';
import type { Op } from './common.js';

/** Broadcast to a shape (numpy rules, like ONNX Expand); its gradient is the central unbroadcast. */
export const expand: Op = {
  name: 'Expand',
  arity: 1,
  infer: ([x], attrs) => ({
    dtype: x.dtype,
    shape: broadcastShapes('Expand', x.shape, attrs.shape as Dim[]),
  }),
  lower(ctx, [x], out, attrs, node) {
    const target = attrs.shape as Dim[];
    const input = node.inputs[0].shape;
    // A symbol no emitted value carries may become 1 only where the input has it (1 keeps the input's dim).
    const keep = (axis: number) =>
      input[axis - (target.length - input.length)] === target[axis] ? 1 : undefined;
    ctx.emit('Expand', [x, ctx.shapeTensor(target, keep)], [out]);
  },
  grad: (g) => [g],
  evaluate([x], attrs) {
    const target = (attrs.shape as Dim[]).map((d) => (typeof d === 'number' ? d : 1));
    const shape = broadcastConcrete([x.shape, target]);
    const map = broadcastIndex(x.shape, shape);
    return { dtype: x.dtype, shape, data: Float64Array.from(map, (i) => x.data[i]) };
  },
};
