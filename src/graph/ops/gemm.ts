import { WemoeError } from '../../errors.js';
import type { Value } from '../graph.js';
import { attrInt, type LowerContext } from '../onnx/lower-context.js';
import { mapBroadcast } from '../ref-tensor.js';
import { broadcastShapes, shapeText } from '../shape.js';
import type { Attrs, NodeLike } from '../types.js';
import { type Op, requireFloat, requireSameDtype } from './common.js';
import { matmul } from './matmul.js';

/**
 * op(A)·op(B) + C for rank-2 A and B (op = transpose where attrs transA/transB), C broadcast to the
 * product's shape: ONNX Gemm with its C operand, which adds C while writing the product (one pass over a
 * large output instead of a MatMul's and an Add's).
 */
export const gemm: Op = {
  name: 'Gemm',
  arity: 3,
  infer([a, b, c], attrs) {
    const dtype = requireSameDtype('Gemm', [a, b, c]);
    requireFloat('Gemm', a);
    if (a.shape.length !== 2 || b.shape.length !== 2)
      throw new WemoeError(
        `Gemm: A and B must have rank 2, got ${shapeText(a.shape)} and ${shapeText(b.shape)}`,
      );
    const product = matmul.infer([a, b], attrs).shape;
    if (c.shape.length > 2) throw new WemoeError(`Gemm: C must have rank ≤ 2, got ${shapeText(c.shape)}`);
    const shape = broadcastShapes('Gemm', product, c.shape);
    if (shape.some((d, i) => d !== product[i]))
      throw new WemoeError(`Gemm: C ${shapeText(c.shape)} does not broadcast to ${shapeText(product)}`);
    return { dtype, shape };
  },
  lower(ctx: LowerContext, [a, b, c]: readonly string[], out: string, attrs: Attrs) {
    const flags = {
      transA: attrInt(attrs.transA === true ? 1 : 0),
      transB: attrInt(attrs.transB === true ? 1 : 0),
    };
    ctx.emit('Gemm', [a, b, c], [out], flags);
  },
  grad(g: Value, n: NodeLike<Value>) {
    const [a, b] = n.inputs;
    const product = { ...n, op: 'MatMul', inputs: [a, b] };
    return [...matmul.grad!(g, product), g]; // C's broadcast is undone centrally
  },
  evaluate([a, b, c], attrs) {
    return mapBroadcast([matmul.evaluate([a, b], attrs), c], a.dtype, (x, y) => x + y);
  },
};
