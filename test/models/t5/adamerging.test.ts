import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/data/random.js';
import { Graph, grad } from '../../../src/graph/index.js';
import { mergedParamLookup, mergedParams } from '../../../src/models/adamerging/model.js';
import { createT5AdaMerging } from '../../../src/models/t5/adamerging.js';
import { firstStepLogits, t5Entropy } from '../../../src/models/t5/objective.js';
import { randomT5Params } from '../../../src/models/t5/params.js';
import { positionBuckets } from '../../../src/models/t5/position-bucket.js';
import { T5Runner } from '../../../src/models/t5/runner.js';
import { compile } from '../../../src/runtime/index.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { perturbedExperts, tinyGatedT5 } from './tiny.js';

const config = tinyGatedT5({ vocab_size: 20 });
const pretrained = randomT5Params(config, 6);
const experts = perturbedExperts(pretrained, ['cola', 'sst2'], { seed: 70, scale: 0.1 });
const IDS = [
  [3, 7, 1, 0],
  [9, 2, 5, 1],
];
const i64 = (rows: number[][]): Tensor => ({
  dtype: 'I64',
  shape: [rows.length, rows[0].length],
  data: BigInt64Array.from(rows.flat().map(BigInt)),
});

describe('AdaMerging on T5', () => {
  it('layer-wise λ gradients of the first-step objective equal finite differences', async () => {
    const model = createT5AdaMerging(config, pretrained, experts, { granularity: 'layer', init: 0.3 });
    expect(model.lambdas.shape).toEqual([model.names.length, 2]);
    const g = new Graph();
    const lambdas = g.input('lambdas', 'F32', model.lambdas.shape);
    const inputs = {
      inputIds: g.input('input_ids', 'I64', ['batch', 'src']),
      attentionMask: g.input('attention_mask', 'I64', ['batch', 'src']),
      buckets: g.input('buckets', 'I64', ['src', 'src']),
    };
    const loss = t5Entropy(
      firstStepLogits(config, mergedParamLookup(g, model, lambdas), inputs),
      'batch-mean',
    );
    const [dl] = grad(loss, [lambdas]);
    const step = await compile({ loss, dl }, { threads: 1 });
    const feeds = {
      input_ids: i64(IDS),
      attention_mask: i64([
        [1, 1, 1, 0],
        [1, 1, 1, 1],
      ]),
      buckets: positionBuckets(4, 4, { bidirectional: true, numBuckets: 8, maxDistance: 12 }),
    };
    const random = createRandom(5);
    const base = model.lambdas.data as Float32Array;
    const dir = Float32Array.from(base, () => random.normal());
    const at = (h: number) => ({ ...model.lambdas, data: Float32Array.from(base, (v, i) => v + h * dir[i]) });
    const out = await step.run({ ...feeds, lambdas: at(0) });
    const analytic = (out.dl.data as Float32Array).reduce((s, v, i) => s + v * dir[i], 0);
    const h = 1e-2;
    const plus = (await step.run({ ...feeds, lambdas: at(h) })).loss.data[0] as number;
    const minus = (await step.run({ ...feeds, lambdas: at(-h) })).loss.data[0] as number;
    const numeric = (plus - minus) / (2 * h);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    expect(Math.abs(numeric - analytic)).toBeLessThan(2e-2 * Math.abs(analytic) + 1e-4);
    await step.dispose();
  });

  it('task-wise at λ = 0.3 merges to task arithmetic', async () => {
    const model = createT5AdaMerging(config, pretrained, experts, { granularity: 'task', init: 0.3 });
    const merged = mergedParams(model);
    const [a, b] = [...experts.values()];
    for (const [name, t] of pretrained) {
      const want = Float32Array.from(
        t.data as Float32Array,
        (v, i) =>
          v +
          0.3 * ((a.get(name)!.data as Float32Array)[i] - v) +
          0.3 * ((b.get(name)!.data as Float32Array)[i] - v),
      );
      const got = merged.get(name)!.data as Float32Array;
      expect(
        got.reduce((m, x, i) => Math.max(m, Math.abs(x - want[i])), 0),
        name,
      ).toBeLessThan(1e-6);
    }
    const runner = T5Runner.create({ config, params: merged }, { threads: 1 });
    expect((await runner.forward(i64(IDS))).logits.shape).toEqual([2, 1, 20]);
    await runner.dispose();
  });
});
