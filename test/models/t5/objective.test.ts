import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/data/random.js';
import { Graph, grad, type Value } from '../../../src/graph/index.js';
import type { T5ParamLookup } from '../../../src/models/t5/model.js';
import { firstStepLogits, type T5EntropyKind, t5Entropy } from '../../../src/models/t5/objective.js';
import { randomT5Params } from '../../../src/models/t5/params.js';
import { positionBuckets } from '../../../src/models/t5/position-bucket.js';
import { compile } from '../../../src/runtime/index.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { referenceDecoder, referenceEncoder } from './reference.js';
import { tinyGatedT5 } from './tiny.js';

const config = tinyGatedT5({ vocab_size: 20, num_layers: 2 });
const params = randomT5Params(config, 17);
const TRAINED = [
  'encoder.block.1.layer.1.DenseReluDense.wo.weight',
  'decoder.block.0.layer.2.DenseReluDense.wi_1.weight',
];
const IDS = [
  [3, 7, 1, 0],
  [9, 2, 5, 1],
  [4, 1, 0, 0],
];
const MASK = IDS.map((row) => row.map((id, i) => (id !== 0 || i === 0 ? 1 : 0)));
const LABEL_TOKENS = [5, 11, 2];

const i64 = (rows: number[][]): Tensor => ({
  dtype: 'I64',
  shape: [rows.length, rows[0].length],
  data: BigInt64Array.from(rows.flat().map(BigInt)),
});

/** −Σ p·log(p + 1e-8) of softmax(row). */
function entropy(row: readonly number[]): number {
  const max = Math.max(...row);
  const e = row.map((v) => Math.exp(v - max));
  const z = e.reduce((a, b) => a + b, 0);
  return -e.reduce((s, v) => s + (v / z) * Math.log(v / z + 1e-8), 0);
}

function referenceLoss(kind: T5EntropyKind): number {
  const logits = IDS.map((ids, b) => {
    const enc = referenceEncoder(config, params, ids, MASK[b]);
    return [...referenceDecoder(config, params, [1], enc, MASK[b])[0]];
  });
  if (kind === 'batch-mean')
    return entropy(logits[0].map((_, v) => logits.reduce((s, r) => s + r[v], 0) / logits.length));
  const rows = kind === 'per-sample' ? logits : logits.map((r) => LABEL_TOKENS.map((t) => r[t]));
  return rows.reduce((s, r) => s + entropy(r), 0) / rows.length;
}

function build(kind: T5EntropyKind) {
  const g = new Graph();
  const trained = new Map<string, Value>(TRAINED.map((n) => [n, g.input(n, 'F32', params.get(n)!.shape)]));
  const made = new Map<string, Value>();
  const param: T5ParamLookup = (name) => {
    if (trained.has(name)) return trained.get(name)!;
    if (!made.has(name)) made.set(name, g.constant(params.get(name)!, name));
    return made.get(name)!;
  };
  const inputs = {
    inputIds: g.input('input_ids', 'I64', ['batch', 'src']),
    attentionMask: g.input('attention_mask', 'I64', ['batch', 'src']),
    buckets: g.input('buckets', 'I64', ['src', 'src']),
  };
  const loss = t5Entropy(firstStepLogits(config, param, inputs), kind, LABEL_TOKENS);
  const grads = grad(
    loss,
    TRAINED.map((n) => trained.get(n)!),
  );
  return { loss, grads };
}

describe('T5 test-time objective (first decoding step fed </s>)', () => {
  const feeds = {
    input_ids: i64(IDS),
    attention_mask: i64(MASK),
    buckets: positionBuckets(4, 4, { bidirectional: true, numBuckets: 8, maxDistance: 12 }),
  };
  for (const kind of ['batch-mean', 'per-sample', 'labels'] as const) {
    it(`${kind}: equals the reference entropy, gradients equal finite differences`, async () => {
      const { loss, grads } = build(kind);
      const withGrads = await compile({ loss, g0: grads[0], g1: grads[1] }, { threads: 1 });
      const weights = Object.fromEntries(TRAINED.map((n) => [n, params.get(n)!]));
      const out = await withGrads.run({ ...feeds, ...weights });
      expect(out.loss.data[0]).toBeCloseTo(referenceLoss(kind), 5);
      // Directional derivative along a random direction, by central differences.
      const random = createRandom(3);
      const dirs = TRAINED.map((n) =>
        Float32Array.from(params.get(n)!.data as Float32Array, () => random.normal()),
      );
      const along = (h: number) =>
        Object.fromEntries(
          TRAINED.map((n, k) => {
            const w = params.get(n)!;
            return [
              n,
              { ...w, data: Float32Array.from(w.data as Float32Array, (v, i) => v + h * dirs[k][i]) },
            ];
          }),
        );
      const lossOnly = await compile({ loss }, { threads: 1 });
      const h = 1e-2;
      const plus = (await lossOnly.run({ ...feeds, ...along(h) })).loss.data[0] as number;
      const minus = (await lossOnly.run({ ...feeds, ...along(-h) })).loss.data[0] as number;
      const numeric = (plus - minus) / (2 * h);
      const analytic = [out.g0, out.g1].reduce(
        (s, gr, k) => s + (gr.data as Float32Array).reduce((a, v, i) => a + v * dirs[k][i], 0),
        0,
      );
      expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
      expect(Math.abs(numeric - analytic)).toBeLessThan(2e-2 * Math.abs(analytic) + 1e-4);
      await withGrads.dispose();
      await lossOnly.dispose();
    });
  }
});
