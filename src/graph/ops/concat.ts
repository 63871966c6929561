import { WemoeError } from '../../errors.js';
import { attrInt } from '../onnx/lower-context.js';
import { normalizeAxis, shapeText } from '../shape.js';
import type { Dim } from '../types.js';
import { type Op, requireSameDtype } from './common.js';

/** Joins inputs along an existing axis; other dims must agree. */
export const concat: Op = {
  name: 'Concat',
  arity: 'variadic',
  infer(inputs, attrs) {
    if (inputs.length === 0) throw new WemoeError('Concat: needs at least one input');
    const dtype = requireSameDtype('Concat', inputs);
    const rank = inputs[0].shape.length;
    const axis = normalizeAxis('Concat', attrs.axis as number, rank);
    for (const x of inputs) {
      const bad = x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== inputs[0].shape[i]);
      if (bad)
        throw new WemoeError(
          `Concat: shapes ${inputs.map((v) => shapeText(v.shape)).join(', ')} differ off axis ${axis}`,
        );
    }
    const dims = inputs.map((x) => x.shape[axis]);
    const joined: Dim = dims.every((d) => typeof d === 'number')
      ? dims.reduce<number>((a, d) => a + (d as number), 0)
      : dims.join('+');
    const shape = [...inputs[0].shape];
    shape[axis] = joined;
    return { dtype, shape };
  },
  lower: (ctx, inputs, out, attrs) =>
    ctx.emit('Concat', inputs, [out], { axis: attrInt(attrs.axis as number) }),
  grad(g, n) {
    const axis = normalizeAxis('Concat', n.attrs.axis as number, g.rank);
    let offset = 0;
    return n.inputs.map((x) => {
      const d = x.shape[axis];
      if (typeof d !== 'number')
        throw new WemoeError(`Concat: the gradient needs static sizes along axis ${axis}`);
      offset += d;
      return g.slice(axis, offset - d, offset);
    });
  },
  evaluate(inputs, attrs) {
    const rank = inputs[0].shape.length;
    const axis = normalizeAxis('Concat', attrs.axis as number, rank);
    const outer = inputs[0].shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const chunks = inputs.map((x) => x.data.length / outer);
    const total = chunks.reduce((a, b) => a + b, 0);
    const out = new Float64Array(outer * total);
    for (let o = 0; o < outer; o++) {
      let at = o * total;
      inputs.forEach((x, k) => {
        out.set(x.data.subarray(o * chunks[k], (o + 1) * chunks[k]), at);
        at += chunks[k];
      });
    }
    const shape = [...inputs[0].shape];
    shape[axis] = inputs.reduce((a, x) => a + x.shape[axis], 0);
    return { dtype: inputs[0].dtype, shape, data: out };
  },
};
