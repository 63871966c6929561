import { WemoeError } from '../../errors.js';
import type { Op } from './common.js';
import { selectAlong } from './slice.js';

/** Zero padding along one axis: `before` zeros, x, `after` zeros (the gradient of Slice). */
export const pad: Op = {
  name: 'Pad',
  arity: 1,
  infer([x], attrs) {
    const { axis, before, after } = attrs as { axis: number; before: number; after: number };
    const dim = x.shape[axis];
    if (typeof dim !== 'number') throw new WemoeError(`Pad: axis ${axis} must have a static size`);
    const shape = [...x.shape];
    shape[axis] = before + dim + after;
    return { dtype: x.dtype, shape };
  },
  lower(ctx, [x], out, attrs, node) {
    const { axis, before, after } = attrs as { axis: number; before: number; after: number };
    const rank = node.inputs[0].shape.length;
    const pads = new Array<number>(2 * rank).fill(0);
    pads[axis] = before;
    pads[rank + axis] = after;
    ctx.emit('Pad', [x, ctx.constI64(pads)], [out]);
  },
  grad(g, n) {
    const { axis, before } = n.attrs as { axis: number; before: number };
    return [g.slice(axis, before, before + (n.inputs[0].shape[axis] as number))];
  },
  evaluate([x], attrs) {
    const { axis, before, after } = attrs as { axis: number; before: number; after: number };
    const dim = x.shape[axis];
    return selectAlong(x, axis, before + dim + after, (j) =>
      j >= before && j < before + dim ? j - before : -1,
    );
  },
};
