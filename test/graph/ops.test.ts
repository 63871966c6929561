/** Table-driven op test: one or more lines per primitive and composite (see op-harness.ts for the checks). */
import { describe, expect, it } from 'vitest';
import {
  concat,
  gelu,
  geluTanh,
  layerNorm,
  linear,
  logSoftmax,
  meanEntropy,
  OPS,
  quickGelu,
  rmsNorm,
  softmax,
  type Value,
  where,
} from '../../src/graph/index.js';
import { checkOp, OPS_SEEN, type OpCase } from './op-harness.js';

const A23 = { name: 'a', shape: [2, 3], values: [1, -2, 3, 0.5, 4, -1.5] };
const B23 = { name: 'b', shape: [2, 3], values: [2, 0.5, -1, 3, 0.25, 2] };
const POS = { name: 'a', shape: [2, 3], values: [1, 4, 9, 0.25, 2, 16] };

const LOGP_123 = [-2.4076059644443806, -1.4076059644443806, -0.4076059644443806];

const CASES: readonly OpCase[] = [
  { name: 'Add', inputs: [A23, B23], build: (a, b) => a.add(b), expected: [3, -1.5, 2, 3.5, 4.25, 0.5] },
  {
    name: 'Add broadcast [2,3]+[3]',
    inputs: [A23, { name: 'b', shape: [3], values: [10, 20, 30] }],
    build: (a, b) => a.add(b),
    expected: [11, 18, 33, 10.5, 24, 28.5],
  },
  {
    name: 'Add broadcast [2,1,3]+[4,1]',
    inputs: [
      { name: 'a', shape: [2, 1, 3] },
      { name: 'b', shape: [4, 1] },
    ],
    build: (a, b) => a.add(b),
    expectedShape: [2, 4, 3],
  },
  { name: 'Sub', inputs: [A23, B23], build: (a, b) => a.sub(b), expected: [-1, -2.5, 4, -2.5, 3.75, -3.5] },
  { name: 'Mul', inputs: [A23, B23], build: (a, b) => a.mul(b), expected: [2, -1, -3, 1.5, 1, -3] },
  { name: 'Mul by scalar', inputs: [A23], build: (a) => a.mul(3), expected: [3, -6, 9, 1.5, 12, -4.5] },
  { name: 'Div', inputs: [A23, B23], build: (a, b) => a.div(b), expected: [0.5, -4, -3, 1 / 6, 16, -0.75] },
  {
    name: 'Pow',
    inputs: [POS, { name: 'b', shape: [3], values: [2, 0.5, -1] }],
    build: (a, b) => a.pow(b),
    expected: [1, 2, 1 / 9, 0.0625, Math.SQRT2, 1 / 16],
  },
  { name: 'Neg', inputs: [A23], build: (a) => a.neg(), expected: [-1, 2, -3, -0.5, -4, 1.5] },
  {
    name: 'Exp',
    inputs: [{ name: 'a', shape: [3], values: [0, 1, -1] }],
    build: (a) => a.exp(),
    expected: [1, Math.E, 1 / Math.E],
  },
  {
    name: 'Log',
    inputs: [POS],
    build: (a) => a.log(),
    expected: [0, Math.log(4), Math.log(9), Math.log(0.25), Math.LN2, Math.log(16)],
  },
  { name: 'Sqrt', inputs: [POS], build: (a) => a.sqrt(), expected: [1, 2, 3, 0.5, Math.SQRT2, 4] },
  { name: 'Relu', inputs: [A23], build: (a) => a.relu(), expected: [1, 0, 3, 0.5, 4, 0] },
  {
    name: 'Sigmoid',
    inputs: [{ name: 'a', shape: [3], values: [0, 2, -1] }],
    build: (a) => a.sigmoid(),
    expected: [0.5, 1 / (1 + Math.exp(-2)), 1 / (1 + Math.E)],
  },
  {
    name: 'Tanh',
    inputs: [{ name: 'a', shape: [2], values: [0, 0.5] }],
    build: (a) => a.tanh(),
    expected: [0, Math.tanh(0.5)],
  },
  // erf(0.5), erf(1), erf(-2), erf(3) from tables (A&S 7.1).
  {
    name: 'Erf',
    f32: true,
    inputs: [{ name: 'a', shape: [4], values: [0.5, 1, -2, 3] }],
    build: (a) => a.erf(),
    expected: [0.5204998778130465, 0.8427007929497149, -0.9953222650189527, 0.9999779095030014],
  },
  { name: 'Greater', inputs: [A23, B23], build: (a, b) => a.gt(b), expected: [0, 0, 1, 0, 1, 0] },
  {
    name: 'Equal',
    inputs: [A23, { name: 'b', shape: [3], values: [1, 4, 3] }],
    build: (a, b) => a.eq(b),
    expected: [1, 0, 1, 0, 1, 0],
  },
  {
    name: 'Where',
    inputs: [{ name: 'c', shape: [3], dtype: 'BOOL', values: [1, 0, 1] }, A23, B23],
    build: (c, a, b) => where(c, a, b),
    expected: [1, 0.5, 3, 0.5, 0.25, -1.5],
  },
  {
    name: 'Cast F64→I64→F64',
    grad: false,
    inputs: [{ name: 'a', shape: [3], values: [1.7, -2.5, 3] }],
    build: (a) => a.cast('I64').cast(a.dtype),
    expected: [1, -2, 3],
  },
  // Run in float32: the gradient flows F32 → F64 → F32; the float64 reference sees no rounding.
  {
    name: 'Cast F32→F64 (gradient flows)',
    f32: true,
    inputs: [{ name: 'a', shape: [3], values: [1.5, -2, 3] }],
    build: (a) => a.cast('F64').mul(a.cast('F64')).cast(a.dtype),
    expected: [2.25, 4, 9],
  },
  // log-sum-exp shifted by a stopped max: the value and the true gradient do not depend on the shift.
  {
    name: 'StopGradient (stable log-sum-exp)',
    inputs: [A23],
    build: (a) => {
      const m = a.max(-1, true).stopGradient();
      return a
        .sub(m)
        .exp()
        .sum(-1)
        .log()
        .add(m.reshape([2]));
    },
    expected: [
      3 + Math.log(1 + Math.exp(-2) + Math.exp(-5)),
      4 + Math.log(Math.exp(-3.5) + 1 + Math.exp(-5.5)),
    ],
  },
  {
    name: 'MatMul [2,3]×[3,2]',
    inputs: [A23, { name: 'b', shape: [3, 2], values: [1, 0, 0, 1, 1, 1] }],
    build: (a, b) => a.matmul(b),
    expected: [4, 1, -1, 2.5],
  },
  {
    name: 'MatMul broadcast [B,N,D]×[D,E]',
    inputs: [
      { name: 'a', shape: ['batch', 3, 4], feed: [2, 3, 4] },
      { name: 'b', shape: [4, 5] },
    ],
    build: (a, b) => a.matmul(b),
    expectedShape: [2, 3, 5],
    rerun: { a: [5, 3, 4] },
  },
  {
    name: 'MatMul batched [B,H,N,d]×[B,H,d,N]',
    inputs: [
      { name: 'a', shape: [2, 2, 3, 2] },
      { name: 'b', shape: [2, 2, 2, 3] },
    ],
    build: (a, b) => a.matmul(b),
    expectedShape: [2, 2, 3, 3],
  },
  { name: 'Transpose', inputs: [A23], build: (a) => a.transpose(), expected: [1, 0.5, -2, 4, 3, -1.5] },
  {
    name: 'Transpose perm [1,2,0]',
    inputs: [{ name: 'a', shape: [2, 3, 4] }],
    build: (a) => a.transpose([1, 2, 0]),
    expectedShape: [3, 4, 2],
  },
  {
    name: 'Reshape -1',
    inputs: [A23],
    build: (a) => a.reshape([3, -1]),
    expected: [1, -2, 3, 0.5, 4, -1.5],
    expectedShape: [3, 2],
  },
  {
    name: 'Reshape symbolic 0 and -1',
    inputs: [{ name: 'a', shape: ['batch', 4, 6], feed: [2, 4, 6] }],
    build: (a) => a.reshape([0, 4, 2, 3]).reshape([-1, 3]).mul(2).reshape(['batch', 24]),
    expectedShape: [2, 24],
    rerun: { a: [3, 4, 6] },
  },
  {
    name: 'Expand',
    inputs: [{ name: 'a', shape: [3, 1], values: [1, 2, 3] }],
    build: (a) => a.expand([2, 3, 2]),
    expected: [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3],
  },
  {
    name: 'Expand to symbolic batch',
    inputs: [
      { name: 'x', shape: ['batch', 2], feed: [3, 2] },
      { name: 'cls', shape: [1, 2] },
    ],
    build: (x, cls) => cls.expand(['batch', 2]).mul(x),
    expectedShape: [3, 2],
    rerun: { x: [4, 2] },
  },
  {
    name: 'Concat',
    inputs: [A23, { name: 'b', shape: [2, 1], values: [7, 8] }],
    build: (a, b) => concat([a, b], 1),
    expected: [1, -2, 3, 7, 0.5, 4, -1.5, 8],
  },
  {
    name: 'Concat class token, symbolic batch',
    inputs: [
      { name: 'x', shape: ['batch', 3, 2], feed: [2, 3, 2] },
      { name: 'cls', shape: [2] },
    ],
    build: (x, cls) => concat([cls.reshape([1, 1, 2]).expand(['batch', 1, 2]), x], 1),
    expectedShape: [2, 4, 2],
    rerun: { x: [3, 3, 2] },
  },
  { name: 'Slice', inputs: [A23], build: (a) => a.slice(1, 1, 3), expected: [-2, 3, 4, -1.5] },
  {
    name: 'Slice negative, step 2',
    grad: false,
    inputs: [{ name: 'a', shape: [5], values: [0, 1, 2, 3, 4] }],
    build: (a) => a.slice(0, -5, 5, 2),
    expected: [0, 2, 4],
  },
  {
    name: 'Slice CLS token',
    inputs: [{ name: 'x', shape: ['batch', 3, 2], feed: [2, 3, 2] }],
    build: (x) => x.slice(1, 0, 1).reshape([0, 2]),
    expectedShape: [2, 2],
    rerun: { x: [4, 3, 2] },
  },
  {
    name: 'Gather rank-1 indices',
    inputs: [A23, { name: 'i', shape: [3], dtype: 'I64', values: [2, 0, 2] }],
    build: (a, i) => a.gather(1, i),
    expected: [3, 1, 3, -1.5, 0.5, -1.5],
  },
  {
    name: 'Gather scalar index (CLS)',
    inputs: [{ name: 'x', shape: ['batch', 3, 2], feed: [2, 3, 2] }],
    build: (x) => x.gather(1, 0),
    expectedShape: [2, 2],
  },
  { name: 'Gather negative index', inputs: [A23], build: (a) => a.gather(0, [-1]), expected: [0.5, 4, -1.5] },
  { name: 'ReduceSum all', inputs: [A23], build: (a) => a.sum(), expected: [5] },
  {
    name: 'ReduceSum axis 0 keepdims',
    inputs: [A23],
    build: (a) => a.sum(0, true),
    expected: [1.5, 2, 1.5],
    expectedShape: [1, 3],
  },
  { name: 'ReduceMean axis -1', inputs: [A23], build: (a) => a.mean(-1), expected: [2 / 3, 1] },
  {
    name: 'ReduceMean over symbolic batch',
    inputs: [{ name: 'x', shape: ['batch', 3], feed: [4, 3] }],
    build: (x) => x.mean(0),
    expectedShape: [3],
    rerun: { x: [7, 3] },
  },
  { name: 'ReduceMax', inputs: [A23], build: (a) => a.max(1), expected: [3, 4] },
  {
    name: 'Softmax',
    inputs: [{ name: 'a', shape: [2, 3], values: [0, 0, 0, 1, 2, 3] }],
    build: (a) => softmax(a, -1),
    expected: [1 / 3, 1 / 3, 1 / 3, 0.09003057317038046, 0.24472847105479767, 0.6652409557748219],
  },
  { name: 'Softmax axis 0', inputs: [A23], build: (a) => softmax(a, 0), expectedShape: [2, 3] },
  {
    name: 'LogSoftmax',
    inputs: [{ name: 'a', shape: [3], values: [1, 2, 3] }],
    build: (a) => logSoftmax(a),
    expected: [-2.4076059644443806, -1.4076059644443806, -0.4076059644443806],
  },
  {
    name: 'LayerNorm',
    inputs: [
      { name: 'x', shape: [2, 4], values: [1, 2, 3, 4, -1, 0, 0, 1] },
      { name: 'w', shape: [4], values: [1, 1, 2, 1] },
      { name: 'b', shape: [4], values: [0, 0, 0, 1] },
    ],
    build: (x, w, b) => layerNorm(x, w, b, 0),
    expected: [
      -1.3416407864998738,
      -0.4472135954999579,
      0.8944271909999159,
      2.3416407864998736,
      -Math.SQRT2,
      0,
      0,
      1 + Math.SQRT2,
    ],
  },
  {
    name: 'LayerNorm [B,N,D] eps',
    inputs: [
      { name: 'x', shape: ['batch', 3, 4], feed: [2, 3, 4] },
      { name: 'w', shape: [4] },
      { name: 'b', shape: [4] },
    ],
    build: (x, w, b) => layerNorm(x, w, b, 1e-5),
    expectedShape: [2, 3, 4],
    rerun: { x: [3, 3, 4] },
  },
  {
    // rows [1, 2, 3, 4] (mean square 7.5) and [3, -4, 0, 0] (6.25)
    name: 'RmsNorm',
    inputs: [
      { name: 'x', shape: [2, 4], values: [1, 2, 3, 4, 3, -4, 0, 0] },
      { name: 'w', shape: [4], values: [1, 1, 2, -1] },
    ],
    build: (x, w) => rmsNorm(x, w, 0),
    expected: [1, 2, 6, -4].map((v) => v / Math.sqrt(7.5)).concat([1.2, -1.6, 0, 0]),
  },
  {
    name: 'RmsNorm [B,N,D] eps',
    inputs: [
      { name: 'x', shape: ['batch', 3, 4], feed: [2, 3, 4] },
      { name: 'w', shape: [4] },
    ],
    build: (x, w) => rmsNorm(x, w, 1e-6),
    expectedShape: [2, 3, 4],
    rerun: { x: [3, 3, 4] },
  },
  {
    // Hugging Face's gelu_new at 0, ±1, 2
    name: 'FastGelu (gelu tanh)',
    f32: true,
    inputs: [{ name: 'a', shape: [4], values: [0, 1, -1, 2] }],
    build: (a) => geluTanh(a),
    expected: [0, 0.8411919906082768, -0.15880800939172324, 1.954597694087775],
  },
  {
    name: 'gelu',
    f32: true,
    inputs: [{ name: 'a', shape: [3], values: [0, 1, -1] }],
    build: (a) => gelu(a),
    expected: [0, 0.8413447460685429, -0.15865525393145707],
  },
  {
    name: 'quick_gelu',
    inputs: [{ name: 'a', shape: [2], values: [0, 1] }],
    build: (a) => quickGelu(a),
    expected: [0, 1 / (1 + Math.exp(-1.702))],
  },
  {
    name: 'MatMul transposeB, rank 2 (Gemm)',
    inputs: [A23, { name: 'b', shape: [2, 3], values: [1, 0, 1, 0, 1, 0] }],
    build: (a, b) => a.matmul(b, { transposeB: true }),
    expected: [4, -2, -1, 4],
  },
  {
    name: 'Gemm A·Bᵀ + C, C [1, M] broadcast over the rows',
    inputs: [
      A23,
      { name: 'b', shape: [2, 3], values: [1, 0, 1, 0, 1, 0] },
      { name: 'c', shape: [1, 2], values: [10, -1] },
    ],
    build: (a, b, c) => a.graph.op('Gemm', [a, b, c], { transB: true }),
    expected: [14, -3, 9, 3],
  },
  {
    name: 'Gemm Aᵀ·B + C, C [N, M]',
    inputs: [A23, { name: 'b', shape: [2, 2] }, { name: 'c', shape: [3, 2] }],
    build: (a, b, c) => a.graph.op('Gemm', [a, b, c], { transA: true }),
    expectedShape: [3, 2],
  },
  {
    name: 'MatMul transposeA, rank 2 (Gemm)',
    inputs: [A23, { name: 'b', shape: [2, 2] }],
    build: (a, b) => a.matmul(b, { transposeA: true }),
    expectedShape: [3, 2],
  },
  {
    name: 'linear [B,N,K]·Wᵀ + b (flattened Gemm)',
    inputs: [
      { name: 'x', shape: ['batch', 3, 4], feed: [2, 3, 4] },
      { name: 'w', shape: [5, 4] },
      { name: 'b', shape: [5] },
    ],
    build: (x, w, b) => linear(x, w, b),
    expectedShape: [2, 3, 5],
    rerun: { x: [4, 3, 4] },
  },
  {
    name: 'MatMul [B,N,K]×[K,M] flattened Gemm',
    inputs: [
      { name: 'x', shape: ['batch', 3, 4], feed: [2, 3, 4] },
      { name: 'w', shape: [4, 2] },
    ],
    build: (x, w) => x.matmul(w).relu().matmul(w, { transposeB: true }),
    expectedShape: [2, 3, 4],
    rerun: { x: [1, 3, 4] },
  },
  {
    name: 'MatMul batched, both transposed',
    inputs: [
      { name: 'a', shape: [2, 3, 2] },
      { name: 'b', shape: [2, 4, 3] },
    ],
    build: (a, b) => a.matmul(b, { transposeA: true, transposeB: true }),
    expectedShape: [2, 2, 4],
  },
  {
    name: 'MatMul batched transposeA, broadcast B',
    inputs: [
      { name: 'a', shape: [2, 3, 2] },
      { name: 'b', shape: [3, 4] },
    ],
    build: (a, b) => a.matmul(b, { transposeA: true }),
    expectedShape: [2, 2, 4],
  },
  {
    name: 'attention block [B,N,D], 2 heads',
    inputs: [
      { name: 'x', shape: ['batch', 3, 4], feed: [2, 3, 4] },
      { name: 'wq', shape: [4, 4] },
      { name: 'wk', shape: [4, 4] },
      { name: 'wv', shape: [4, 4] },
    ],
    build: (x, wq, wk, wv) => {
      const heads = (t: Value) => t.reshape([0, 3, 2, 2]).transpose([0, 2, 1, 3]); // [B, H, N, d]
      const [q, k, v] = [heads(x.matmul(wq)), heads(x.matmul(wk)), heads(x.matmul(wv))];
      const attn = softmax(q.matmul(k.mT()).mul(1 / Math.SQRT2), -1); // [B, H, N, N]
      return attn.matmul(v).transpose([0, 2, 1, 3]).reshape([0, 3, 4]);
    },
    expectedShape: [2, 3, 4],
    rerun: { x: [3, 3, 4] },
  },
  {
    name: 'patch embedding as reshape + transpose + matmul',
    inputs: [
      { name: 'x', shape: ['batch', 2, 4, 4], feed: [2, 2, 4, 4] },
      { name: 'w', shape: [8, 3] },
    ],
    build: (x, w) => x.reshape([0, 2, 2, 2, 2, 2]).transpose([0, 2, 4, 1, 3, 5]).reshape([0, 4, 8]).matmul(w),
    expectedShape: [2, 4, 3],
    rerun: { x: [1, 2, 4, 4] },
  },
  {
    name: 'mean entropy of softmax',
    inputs: [{ name: 'z', shape: [2, 3], values: [0, 0, 0, 1, 2, 3] }],
    build: (z) => meanEntropy(z),
    expected: [(Math.log(3) + LOGP_123.reduce((h, lp) => h - Math.exp(lp) * lp, 0)) / 2],
  },
];

describe('ops (reference vs known values, ORT vs reference, gradients vs central differences)', () => {
  for (const c of CASES) it(c.name, () => checkOp(c));
  it('every registered op ran in some case (forward or gradient)', () => {
    expect([...OPS.keys()].filter((op) => !OPS_SEEN.has(op))).toEqual([]);
  });
});
