import { WemoeError } from '../../errors.js';
import { numel } from '../../tensor/tensor.js';
import type { Value } from '../graph.js';
import { attrInt, attrInts, type LowerContext } from '../onnx/lower-context.js';
import { broadcastConcrete, broadcastIndex } from '../ref-tensor.js';
import { broadcastShapes, shapeText } from '../shape.js';
import type { Attrs, NodeLike, RefTensor, Shape } from '../types.js';
import { type Op, requireFloat, requireSameDtype } from './common.js';

/**
 * op(A)·op(B) over the last two axes, op = transpose where attrs transA/transB; leading (batch) axes
 * broadcast: [B,N,D]×[D,E], [B,H,N,d]×[B,H,d,N]. Rank-2 weights lower to ONNX Gemm, which reads a
 * transposed operand in place (no transposed copy of a frozen weight, as MatMul(Transpose(W)) would make).
 */
export const matmul: Op = {
  name: 'MatMul',
  arity: 2,
  infer([a, b], attrs) {
    const dtype = requireSameDtype('MatMul', [a, b]);
    requireFloat('MatMul', a);
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new WemoeError(
        `MatMul: operands must have rank ≥ 2, got ${shapeText(a.shape)} and ${shapeText(b.shape)}`,
      );
    }
    const [n, k] = lastTwo(a.shape, flag(attrs, 'transA'));
    const [k2, m] = lastTwo(b.shape, flag(attrs, 'transB'));
    if (k !== k2 && typeof k === 'number' && typeof k2 === 'number') {
      throw new WemoeError(`MatMul: inner dimensions differ: ${shapeText(a.shape)} × ${shapeText(b.shape)}`);
    }
    const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    return { dtype, shape: [...batch, n, m] };
  },
  lower: lowerMatMul,
  grad: matmulGrad,
  evaluate([a, b], attrs) {
    const [x, y] = [flag(attrs, 'transA') ? swapLastRef(a) : a, flag(attrs, 'transB') ? swapLastRef(b) : b];
    const [n, k] = x.shape.slice(-2);
    const m = y.shape[y.shape.length - 1];
    const batch = broadcastConcrete([x.shape.slice(0, -2), y.shape.slice(0, -2)]);
    const mapA = broadcastIndex(x.shape.slice(0, -2), batch);
    const mapB = broadcastIndex(y.shape.slice(0, -2), batch);
    const out = new Float64Array(numel(batch) * n * m);
    for (let t = 0; t < mapA.length; t++) {
      const [offA, offB, offO] = [mapA[t] * n * k, mapB[t] * k * m, t * n * m];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += x.data[offA + i * k + p] * y.data[offB + p * m + j];
          out[offO + i * m + j] = s;
        }
      }
    }
    return { dtype: a.dtype, shape: [...batch, n, m], data: out };
  },
};

const flag = (attrs: Attrs, name: 'transA' | 'transB'): boolean => attrs[name] === true;

function lastTwo(shape: Shape, transposed: boolean): [Shape[number], Shape[number]] {
  const [r, c] = shape.slice(-2);
  return transposed ? [c, r] : [r, c];
}

/**
 * Gradient rules for the four transpose combinations, as MatMuls with flags. A rank-2 B under a batched
 * A gets its gradient from one Gemm over the flattened rows (no [B, K, M] intermediate to sum away).
 */
function matmulGrad(g: Value, n: NodeLike<Value>): (Value | null)[] {
  const [a, b] = n.inputs;
  const [tA, tB] = [flag(n.attrs, 'transA'), flag(n.attrs, 'transB')];
  const da = tA ? b.matmul(g, { transposeA: tA && tB, transposeB: true }) : g.matmul(b, { transposeB: !tB });
  if (!tA && b.rank === 2 && a.rank > 2) {
    const rows = (v: Value) => v.reshape([-1, v.shape[v.rank - 1]]);
    return [
      da,
      tB ? rows(g).matmul(rows(a), { transposeA: true }) : rows(a).matmul(rows(g), { transposeA: true }),
    ];
  }
  const db = tB ? g.matmul(a, { transposeA: true, transposeB: tA }) : a.matmul(g, { transposeA: !tA });
  return [da, db];
}

function lowerMatMul(
  ctx: LowerContext,
  [a, b]: readonly string[],
  out: string,
  attrs: Attrs,
  node: NodeLike<Value>,
): void {
  const [tA, tB] = [flag(attrs, 'transA'), flag(attrs, 'transB')];
  const [ra, rb] = [node.inputs[0].rank, node.inputs[1].rank];
  const gemmAttrs = { transA: attrInt(tA ? 1 : 0), transB: attrInt(tB ? 1 : 0) };
  const k = node.inputs[0].shape[ra - 1];
  if (ra === 2 && rb === 2) ctx.emit('Gemm', [a, b], [out], gemmAttrs);
  else if (rb === 2 && !tA && typeof k === 'number') {
    // [..., N, K] → [R, K] → Gemm → [R, M] → [..., N, M]
    const m = node.inputs[1].shape[tB ? 0 : 1];
    const [rows, product, lead, outShape] = ['rows', 'rows_product', 'lead_dims', 'out_shape'].map((h) =>
      ctx.fresh(h),
    );
    ctx.emit('Reshape', [a, ctx.constI64([-1, k])], [rows]);
    ctx.emit('Gemm', [rows, b], [product], gemmAttrs);
    ctx.emit('Shape', [a], [lead], { end: attrInt(-1) });
    ctx.emit('Concat', [lead, ctx.shapeTensor([m], () => -1)], [outShape], { axis: attrInt(0) });
    ctx.emit('Reshape', [product, outShape], [out]);
  } else {
    ctx.emit('MatMul', [tA ? swapLast(ctx, a, ra) : a, tB ? swapLast(ctx, b, rb) : b], [out]);
  }
}

/** Emits a Transpose of the last two axes of `x`. */
function swapLast(ctx: LowerContext, x: string, rank: number): string {
  const t = ctx.fresh('transposed');
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  ctx.emit('Transpose', [x], [t], { perm: attrInts(perm) });
  return t;
}

function swapLastRef(x: RefTensor): RefTensor {
  const [r, c] = x.shape.slice(-2);
  const out = new Float64Array(x.data.length);
  for (let base = 0; base < x.data.length; base += r * c) {
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[base + j * r + i] = x.data[base + i * c + j];
  }
  return { dtype: x.dtype, shape: [...x.shape.slice(0, -2), c, r], data: out };
}
