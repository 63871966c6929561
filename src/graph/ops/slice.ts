import { WemoeError } from '../../errors.js';
import { shapeText } from '../shape.js';
import type { Attrs, RefTensor, Shape } from '../types.js';
import type { Op } from './common.js';

/** Elements [start, end) with `step` ≥ 1 along one axis (python-style negative and clamped bounds). */
export const slice: Op = {
  name: 'Slice',
  arity: 1,
  infer([x], attrs) {
    const shape = [...x.shape];
    shape[attrs.axis as number] = sliceRange(x.shape, attrs).count;
    return { dtype: x.dtype, shape };
  },
  lower(ctx, [x], out, attrs) {
    const { axis, start, end, step } = attrs as { axis: number; start: number; end: number; step: number };
    ctx.emit(
      'Slice',
      [x, ctx.constI64([start]), ctx.constI64([end]), ctx.constI64([axis]), ctx.constI64([step])],
      [out],
    );
  },
  grad(g, n) {
    const x = n.inputs[0];
    const axis = n.attrs.axis as number;
    const { begin, count } = sliceRange(x.shape, n.attrs);
    if (n.attrs.step !== 1) throw new WemoeError('Slice: the gradient is only defined for step 1');
    const after = (x.shape[axis] as number) - begin - count;
    return [x.graph.op('Pad', [g], { axis, before: begin, after })];
  },
  evaluate([x], attrs) {
    const axis = attrs.axis as number;
    const { begin, count } = sliceRange(x.shape, attrs);
    const step = attrs.step as number;
    return selectAlong(x, axis, count, (j) => begin + j * step);
  },
};

/** First index and length of a slice over a static dim. */
export function sliceRange(shape: Shape, attrs: Attrs): { begin: number; count: number } {
  const { axis, start, end, step } = attrs as { axis: number; start: number; end: number; step: number };
  const dim = shape[axis];
  if (typeof dim !== 'number')
    throw new WemoeError(`Slice: axis ${axis} of ${shapeText(shape)} must have a static size`);
  if (!Number.isInteger(step) || step < 1)
    throw new WemoeError(`Slice: step must be an integer ≥ 1, got ${step}`);
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + dim : i, 0), dim);
  const begin = clamp(start);
  const stop = clamp(end);
  return { begin, count: Math.max(0, Math.ceil((stop - begin) / step)) };
}

/** out[..., j, ...] = x[..., pick(j), ...] along `axis` for j < count (pick may return -1 for zero). */
export function selectAlong(
  x: RefTensor,
  axis: number,
  count: number,
  pick: (j: number) => number,
): RefTensor {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const dim = x.shape[axis];
  const out = new Float64Array(outer * count * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const src = pick(j);
      if (src < 0) continue;
      out.set(x.data.subarray((o * dim + src) * inner, (o * dim + src + 1) * inner), (o * count + j) * inner);
    }
  }
  const shape = [...x.shape];
  shape[axis] = count;
  return { dtype: x.dtype, shape, data: out };
}
