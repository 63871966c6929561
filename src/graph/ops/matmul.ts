import { WemoeError } from '../../errors.js';
import { numel } from '../../tensor/tensor.js';
import { broadcastConcrete, broadcastIndex } from '../ref-tensor.js';
import { broadcastShapes, shapeText } from '../shape.js';
import { lowerAs, type Op, requireFloat, requireSameDtype } from './common.js';

/** Matrix product over the last two axes; leading (batch) axes broadcast: [B,N,D]×[D,E], [B,H,N,d]×[B,H,d,N]. */
export const matmul: Op = {
  name: 'MatMul',
  arity: 2,
  infer([a, b]) {
    const dtype = requireSameDtype('MatMul', [a, b]);
    requireFloat('MatMul', a);
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new WemoeError(
        `MatMul: operands must have rank ≥ 2, got ${shapeText(a.shape)} and ${shapeText(b.shape)}`,
      );
    }
    const [n, k] = a.shape.slice(-2);
    const [k2, m] = b.shape.slice(-2);
    if (k !== k2 && typeof k === 'number' && typeof k2 === 'number') {
      throw new WemoeError(`MatMul: inner dimensions differ: ${shapeText(a.shape)} × ${shapeText(b.shape)}`);
    }
    const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    return { dtype, shape: [...batch, n, m] };
  },
  lower: lowerAs('MatMul'),
  grad: (g, { inputs: [a, b] }) => [g.matmul(b.mT()), a.mT().matmul(g)],
  evaluate([a, b]) {
    const [n, k] = a.shape.slice(-2);
    const m = b.shape[b.shape.length - 1];
    const batch = broadcastConcrete([a.shape.slice(0, -2), b.shape.slice(0, -2)]);
    const mapA = broadcastIndex(a.shape.slice(0, -2), batch);
    const mapB = broadcastIndex(b.shape.slice(0, -2), batch);
    const out = new Float64Array(numel(batch) * n * m);
    for (let t = 0; t < mapA.length; t++) {
      const offA = mapA[t] * n * k;
      const offB = mapB[t] * k * m;
      const offO = t * n * m;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a.data[offA + i * k + p] * b.data[offB + p * m + j];
          out[offO + i * m + j] = s;
        }
      }
    }
    return { dtype: a.dtype, shape: [...batch, n, m], data: out };
  },
};
