import { WemoeError } from '../../errors.js';
import { attrInt } from '../onnx/lower-context.js';
import { shapeText } from '../shape.js';
import type { RefTensor } from '../types.js';
import type { Op } from './common.js';

/** Picks entries along `axis` by integer indices (negative counts from the end): shape x[:axis] + idx + x[axis+1:]. */
export const gather: Op = {
  name: 'Gather',
  arity: 2,
  infer([x, idx], attrs) {
    const axis = attrs.axis as number;
    if (idx.dtype !== 'I64' && idx.dtype !== 'I32')
      throw new WemoeError(`Gather: indices must be I64 or I32, got ${idx.dtype}`);
    return { dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] };
  },
  lower: (ctx, inputs, out, attrs) =>
    ctx.emit('Gather', inputs, [out], { axis: attrInt(attrs.axis as number) }),
  grad(g, n) {
    const [x, idx] = n.inputs;
    const axis = n.attrs.axis as number;
    if (idx.rank > 1)
      throw new WemoeError(`Gather: the gradient supports indices of rank ≤ 1, got ${shapeText(idx.shape)}`);
    // Rank-0 indices dropped the axis: put it back as size 1 so that indices and updates line up.
    const g1 = idx.rank === 0 ? g.reshape([...g.shape.slice(0, axis), 1, ...g.shape.slice(axis)]) : g;
    const idx1 = idx.rank === 0 ? idx.reshape([1]) : idx;
    return [x.graph.op('GatherGrad', [g1, idx1, x], { axis }), null];
  },
  evaluate([x, idx], attrs) {
    const axis = attrs.axis as number;
    const dim = x.shape[axis];
    const picked = Array.from(idx.data, (i) => wrapIndex(i, dim));
    const flat = { ...x, shape: [...x.shape] };
    const res = selectMany(flat, axis, picked);
    return { ...res, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] };
  },
};

export function wrapIndex(i: number, dim: number): number {
  const j = i < 0 ? i + dim : i;
  if (!Number.isInteger(j) || j < 0 || j >= dim)
    throw new WemoeError(`Gather: index ${i} is out of range for size ${dim}`);
  return j;
}

function selectMany(x: RefTensor, axis: number, picked: readonly number[]): RefTensor {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const dim = x.shape[axis];
  const out = new Float64Array(outer * picked.length * inner);
  for (let o = 0; o < outer; o++) {
    picked.forEach((src, j) => {
      out.set(
        x.data.subarray((o * dim + src) * inner, (o * dim + src + 1) * inner),
        (o * picked.length + j) * inner,
      );
    });
  }
  return { dtype: x.dtype, shape: [outer, picked.length, inner], data: out };
}
