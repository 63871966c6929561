/** Values marked recomputeInBackward: same gradients (finite differences), built from a copy, not kept. */
import { describe, expect, it } from 'vitest';
import { ancestorsInOrder, Graph, grad, type Value } from '../../src/graph/index.js';
import { checkOp } from './op-harness.js';

/** WEMoE's per-sample projection: x [B, N, in] · (base + reshape(w [B, T] · τ [T, out·in]))ᵀ. */
function mixedLinear(x: Value, w: Value, tau: Value, base: Value, recompute: boolean): Value {
  const product = w.matmul(tau);
  const delta = product.reshape([0, ...base.shape]);
  const merged = base.add(delta);
  for (const v of [product, delta, merged]) v.recomputeInBackward = recompute;
  return x.matmul(merged, { transposeB: true }).tanh();
}

const INPUTS = [
  { name: 'x', shape: [2, 3, 4] },
  { name: 'w', shape: [2, 3] },
  { name: 'tau', shape: [3, 20] },
  { name: 'base', shape: [5, 4] },
];

describe('recomputeInBackward', () => {
  it('gives the gradients of finite differences through ONNX Runtime', async () => {
    await checkOp({
      name: 'mixed linear, merged weights recomputed',
      inputs: INPUTS,
      build: (x, w, tau, base) => mixedLinear(x, w, tau, base, true),
    });
  });

  it('builds the backward from a copy of the marked values, so the forward ones are not needed there', () => {
    const g = new Graph();
    const [x, w, tau, base] = INPUTS.map((s) => g.input(s.name, 'F32', s.shape));
    const y = mixedLinear(x, w, tau, base, true);
    const merged = y.node!.inputs[0].node!.inputs[1]; // tanh ← matmul(x, merged)
    const [dx, dw] = grad(y.sum(), [x, w]);
    const backward = ancestorsInOrder([dx, dw]).filter((v) => v.id > y.id);
    expect(backward.some((v) => v.node?.inputs.includes(merged))).toBe(false);
    expect(backward.filter((v) => v.node?.op === 'MatMul' && v.node.inputs[0] === w)).toHaveLength(1);
    expect(g.hasRecomputedValues).toBe(true);
  });

  it('leaves unmarked graphs as they were', () => {
    const g = new Graph();
    const [x, w, tau, base] = INPUTS.map((s) => g.input(s.name, 'F32', s.shape));
    const y = mixedLinear(x, w, tau, base, false);
    const merged = y.node!.inputs[0].node!.inputs[1];
    const [dx] = grad(y.sum(), [x]);
    const backward = ancestorsInOrder([dx]).filter((v) => v.id > y.id);
    expect(backward.some((v) => v.node?.inputs.includes(merged))).toBe(true);
    expect(g.hasRecomputedValues).toBe(false);
  });
});
