/** The factored mixture projection: the merged form's maths (float64 reference), its gradients, its choice. */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/data/random.js';
import { Graph, grad } from '../../../src/graph/index.js';
import { factoredProjection, prefersFactored } from '../../../src/models/wemoe/factored-projection.js';
import type { MoeModule } from '../../../src/models/wemoe/model.js';
import { compile } from '../../../src/runtime/compile.js';
import { float32, type Tensor } from '../../../src/tensor/tensor.js';

const [B, N, IN, OUT, T] = [2, 3, 4, 5, 3];
const random = createRandom(5);
const normal = (n: number) => Array.from({ length: n }, () => random.normal());
const moe: MoeModule = {
  layer: 0,
  module: 'mlp',
  base: new Map([['fc.weight', float32([OUT, IN], normal(OUT * IN))]]),
  taskVectors: new Map([['fc.weight', float32([T, OUT, IN], normal(T * OUT * IN))]]),
};
const inputs = { x: float32([B, N, IN], normal(B * N * IN)), w: float32([B, T], normal(B * T)) };
const bias = float32([B, 1, OUT], normal(B * OUT));
const r = normal(B * N * OUT); // the loss Σ r·tanh(y) weighs every output differently

/** Σ r·tanh(y) with y_b = x_b·(θ + Σt w_b,t·τt)ᵀ + b_b: the merged form, in float64. */
function referenceLoss(x: ArrayLike<number>, w: ArrayLike<number>): number {
  const base = moe.base.get('fc.weight')!.data as Float32Array;
  const tv = moe.taskVectors.get('fc.weight')!.data as Float32Array;
  const bias0 = bias.data as Float32Array;
  let loss = 0;
  for (let b = 0; b < B; b++)
    for (let o = 0; o < OUT; o++) {
      const row = Array.from({ length: IN }, (_, i) => {
        let v = base[o * IN + i];
        for (let t = 0; t < T; t++) v += w[b * T + t] * tv[(t * OUT + o) * IN + i];
        return v;
      });
      for (let n = 0; n < N; n++) {
        let y = bias0[b * OUT + o];
        for (let i = 0; i < IN; i++) y += x[(b * N + n) * IN + i] * row[i];
        loss += r[(b * N + n) * OUT + o] * Math.tanh(y);
      }
    }
  return loss;
}

describe('factoredProjection', () => {
  it('computes the merged form, and its gradients match central differences of the float64 reference', async () => {
    const g = new Graph();
    const x = g.input('x', 'F32', [B, N, IN]);
    const w = g.input('w', 'F32', [B, T]);
    const y = factoredProjection(moe, 'm.', 'fc', w, x, g.constant(bias, 'bias'));
    const loss = y
      .tanh()
      .mul(g.constant(float32([B, N, OUT], r), 'r'))
      .sum();
    const [dx, dw] = grad(loss, [x, w]);
    const out = await (await compile({ loss, dx, dw })).run(inputs);
    const want = referenceLoss(inputs.x.data as Float32Array, inputs.w.data as Float32Array);
    expect(Math.abs((out.loss.data as Float32Array)[0] - want)).toBeLessThan(
      1e-4 * Math.max(1, Math.abs(want)),
    );
    const eps = 1e-4;
    for (const [name, analytic] of [
      ['x', out.dx],
      ['w', out.dw],
    ] as [keyof typeof inputs, Tensor][]) {
      const at = Float64Array.from(inputs[name].data as Float32Array);
      const other = (name === 'x' ? inputs.w.data : inputs.x.data) as Float32Array;
      const lossAt = (v: Float64Array) => (name === 'x' ? referenceLoss(v, other) : referenceLoss(other, v));
      at.forEach((v, i) => {
        at[i] = v + eps;
        const up = lossAt(at);
        at[i] = v - eps;
        const down = lossAt(at);
        at[i] = v;
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs((analytic.data as Float32Array)[i] - numeric), `d${name}[${i}]`).toBeLessThan(
          2e-4 * Math.max(1, Math.abs(numeric)),
        );
      });
    }
  });

  it('is chosen for few tokens per sample: not at ViT-B/32 (50 tokens, 8 tasks), up to 25 tokens with 8 tasks', () => {
    expect(prefersFactored(50, 8)).toBe(false);
    expect(prefersFactored(257, 8)).toBe(false);
    expect(prefersFactored(10, 8)).toBe(true);
    expect(prefersFactored(25, 8)).toBe(true);
    expect(prefersFactored(26, 8)).toBe(false);
    expect(prefersFactored(5, 3)).toBe(true);
  });
});
