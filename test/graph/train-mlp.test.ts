/** End to end: a 2-32-32-3 MLP learns a 3-arm spiral through graph-computed gradients and Adam. */
import { describe, expect, it } from 'vitest';
import { Graph, grad, logSoftmax, type Value } from '../../src/graph/index.js';
import { Adam } from '../../src/optim/index.js';
import { compile } from '../../src/runtime/index.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const gaussian = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

/** n points per class on 3 interleaved spiral arms, with noise; labels one-hot. */
function spiral(n: number): { x: Tensor; y: Tensor; labels: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  const labels: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) {
      const r = (i + 1) / n;
      const t = (c * 2 * Math.PI) / 3 + 3 * r + 0.15 * gaussian();
      xs.push(r * Math.sin(t), r * Math.cos(t));
      ys.push(...[0, 1, 2].map((k) => (k === c ? 1 : 0)));
      labels.push(c);
    }
  }
  return { x: float32([3 * n, 2], xs), y: float32([3 * n, 3], ys), labels };
}

const SIZES = [2, 32, 32, 3];

function initParams(): Record<string, Tensor> {
  const params: Record<string, Tensor> = {};
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const [fanIn, fanOut] = [SIZES[l], SIZES[l + 1]];
    params[`w${l}`] = float32(
      [fanIn, fanOut],
      Array.from({ length: fanIn * fanOut }, () => gaussian() * Math.sqrt(2 / fanIn)),
    );
    params[`b${l}`] = float32([fanOut]);
  }
  return params;
}

function mlp(g: Graph, x: Value): { logits: Value; params: Value[] } {
  const params: Value[] = [];
  let h = x; // [batch, 2]
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const w = g.input(`w${l}`, 'F32', [SIZES[l], SIZES[l + 1]]);
    const b = g.input(`b${l}`, 'F32', [SIZES[l + 1]]);
    params.push(w, b);
    h = h.matmul(w).add(b); // [batch, SIZES[l+1]]
    if (l + 2 < SIZES.length) h = h.relu();
  }
  return { logits: h, params };
}

describe('MLP classifier trained with graph gradients and Adam', () => {
  it('reaches ≥ 99% train and ≥ 95% held-out accuracy on a 3-arm spiral in 400 steps', async () => {
    const g = new Graph();
    const x = g.input('x', 'F32', ['batch', 2]);
    const y = g.input('y', 'F32', ['batch', 3]);
    const { logits, params } = mlp(g, x);
    const loss = logSoftmax(logits, -1).mul(y).sum(-1).mean().neg();
    const grads = grad(loss, params);
    const step = await compile({
      loss,
      ...Object.fromEntries(params.map((p, i) => [`d_${p.name}`, grads[i]])),
    });
    const predict = await compile({ logits });

    const train = spiral(100);
    const held = spiral(60);
    const weights = initParams();
    const adam = new Adam(weights, { lr: 0.02 });
    const losses: number[] = [];
    for (let i = 0; i < 400; i++) {
      const out = await step.run({ x: train.x, y: train.y, ...weights });
      losses.push(out.loss.data[0] as number);
      adam.update(Object.fromEntries(Object.keys(weights).map((n) => [n, out[`d_${n}`]])));
    }
    const accuracy = async (set: ReturnType<typeof spiral>) => {
      const { logits: z } = await predict.run({ x: set.x, ...weights });
      const d = z.data as Float32Array;
      const hits = set.labels.filter((c, i) => {
        const row = [d[3 * i], d[3 * i + 1], d[3 * i + 2]];
        return row.indexOf(Math.max(...row)) === c;
      });
      return hits.length / set.labels.length;
    };
    const window = (k: number) => losses.slice(k * 100, (k + 1) * 100).reduce((a, b) => a + b, 0) / 100;
    // Monotone in expectation: every 100-step window's mean loss is below the previous one's.
    for (let k = 1; k < 4; k++) expect(window(k)).toBeLessThan(window(k - 1));
    expect(losses[0]).toBeGreaterThan(0.9);
    expect(losses[399]).toBeLessThan(0.15);
    expect(await accuracy(train)).toBeGreaterThanOrEqual(0.99);
    expect(await accuracy(held)).toBeGreaterThanOrEqual(0.95);
  });
});
