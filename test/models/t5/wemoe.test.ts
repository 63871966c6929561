import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/data/random.js';
import { emitModel, Graph, grad } from '../../../src/graph/index.js';
import { parseT5Config, type T5Config } from '../../../src/models/t5/config.js';
import { firstStepLogits, t5Entropy } from '../../../src/models/t5/objective.js';
import { randomT5Params, type T5Params } from '../../../src/models/t5/params.js';
import { causalBias, positionBuckets } from '../../../src/models/t5/position-bucket.js';
import { T5Runner } from '../../../src/models/t5/runner.js';
import {
  type T5WemoeOptions,
  t5WemoeForward,
  t5WemoeParams,
  upscaleT5ToWemoe,
} from '../../../src/models/t5/wemoe.js';
import { compile } from '../../../src/runtime/index.js';
import type { Tensor } from '../../../src/tensor/tensor.js';

const tiny = {
  model_type: 't5',
  vocab_size: 24,
  d_model: 8,
  d_kv: 4,
  d_ff: 12,
  num_layers: 2,
  num_decoder_layers: 3,
  num_heads: 2,
  relative_attention_num_buckets: 8,
  relative_attention_max_distance: 12,
};
const gated = parseT5Config({ ...tiny, feed_forward_proj: 'gated-gelu', tie_word_embeddings: false });
const plain = parseT5Config({ ...tiny, feed_forward_proj: 'relu' });
const TASKS = ['cola', 'rte', 'sst2'];

const i64 = (rows: number[][]): Tensor => ({
  dtype: 'I64',
  shape: [rows.length, rows[0].length],
  data: BigInt64Array.from(rows.flat().map(BigInt)),
});

/** Experts: the pre-trained weights plus small seeded perturbations (fine-tuning-sized task vectors). */
function experts(pretrained: T5Params): Map<string, T5Params> {
  return new Map(
    TASKS.map((task, k) => {
      const random = createRandom(100 + k);
      const params: T5Params = new Map();
      for (const [name, t] of pretrained)
        params.set(name, {
          ...t,
          data: Float32Array.from(t.data as Float32Array, (v) => v + 0.05 * random.normal()),
        });
      return [task, params];
    }),
  );
}

async function runWemoe(
  config: T5Config,
  options: T5WemoeOptions,
  ids: number[][],
  mask: number[][],
  dec: number[][],
) {
  const pretrained = randomT5Params(config, 5);
  const model = upscaleT5ToWemoe(config, pretrained, experts(pretrained), options);
  const g = new Graph();
  const out = t5WemoeForward(
    model,
    {
      inputIds: g.input('input_ids', 'I64', ['batch', 'src']),
      attentionMask: g.input('attention_mask', 'I64', ['batch', 'src']),
      buckets: g.input('buckets', 'I64', ['src', 'src']),
    },
    {
      decoderInputIds: g.input('decoder_input_ids', 'I64', ['batch', 'tgt']),
      buckets: g.input('decoder_buckets', 'I64', ['tgt', 'tgt']),
      causalBias: g.input('causal', 'F32', ['tgt', 'tgt']),
    },
  );
  const session = await compile(
    { hidden: out.encoderHidden, logits: out.logits, enc: out.encoderRouting, dec: out.decoderRouting },
    { threads: 1 },
  );
  const [s, q] = [ids[0].length, dec[0].length];
  const result = await session.run({
    input_ids: i64(ids),
    attention_mask: i64(mask),
    buckets: positionBuckets(s, s, { bidirectional: true, numBuckets: 8, maxDistance: 12 }),
    decoder_input_ids: i64(dec),
    decoder_buckets: positionBuckets(q, q, { bidirectional: false, numBuckets: 8, maxDistance: 12 }),
    causal: causalBias(q, q),
  });
  await session.dispose();
  return { model, pretrained, result };
}

const maxDiff = (a: Tensor, b: Tensor) =>
  (a.data as Float32Array).reduce((m, v, i) => Math.max(m, Math.abs(v - (b.data as Float32Array)[i])), 0);

describe('WEMoE on T5', () => {
  it('upscales every encoder and decoder feed-forward module with a router under DenseReluDense.gate', () => {
    const pretrained = randomT5Params(gated, 5);
    const model = upscaleT5ToWemoe(gated, pretrained, experts(pretrained));
    expect([...model.moes.keys()]).toEqual([
      'encoder.block.0.layer.1.DenseReluDense.',
      'encoder.block.1.layer.1.DenseReluDense.',
      'decoder.block.0.layer.2.DenseReluDense.',
      'decoder.block.1.layer.2.DenseReluDense.',
      'decoder.block.2.layer.2.DenseReluDense.',
    ]);
    expect(model.routers.get('decoder.block.2.layer.2.DenseReluDense.gate.fc2.bias')!.data).toEqual(
      Float32Array.from([0.3, 0.3, 0.3]),
    );
    expect(model.routers.size).toBe(5 * 4);
    expect(model.shared.has('encoder.block.0.layer.1.DenseReluDense.wi_0.weight')).toBe(false);
    expect(model.shared.has('encoder.block.0.layer.1.layer_norm.weight')).toBe(true);
  });

  it('takes each expert once (they may be read from checkpoints when asked): shared = task arithmetic, rows = θt − θ0', () => {
    const pretrained = randomT5Params(gated, 5);
    const held = experts(pretrained);
    const reads = new Map<string, number>();
    class CountingMap extends Map<string, T5Params> {
      override get(task: string) {
        reads.set(task, (reads.get(task) ?? 0) + 1);
        return super.get(task);
      }
    }
    const model = upscaleT5ToWemoe(gated, pretrained, new CountingMap(held));
    expect(Object.fromEntries(reads)).toEqual({ cola: 1, rte: 1, sst2: 1 });
    const name = 'decoder.block.1.layer.0.SelfAttention.q.weight';
    const at = (p: T5Params, n: string, i: number) => (p.get(n)!.data as Float32Array)[i];
    for (const i of [0, 17, 63]) {
      // taskArithmetic's float32 steps: θ0 + λ·Σt (θt − θ0)
      let sum = 0;
      for (const task of TASKS) sum += at(held.get(task)!, name, i) - at(pretrained, name, i);
      expect(at(model.shared, name, i)).toBeCloseTo(at(pretrained, name, i) + 0.3 * sum, 6);
    }
    const moe = model.moes.get('encoder.block.1.layer.1.DenseReluDense.')!;
    const wo = moe.taskVectors.get('wo.weight')!;
    const n = pretrained.get('encoder.block.1.layer.1.DenseReluDense.wo.weight')!.data.length;
    expect(wo.shape).toEqual([3, 8, 12]);
    for (const [t, task] of TASKS.entries())
      for (const i of [0, 5, n - 1])
        expect((wo.data as Float32Array)[t * n + i]).toBe(
          Math.fround(
            at(held.get(task)!, 'encoder.block.1.layer.1.DenseReluDense.wo.weight', i) -
              at(pretrained, 'encoder.block.1.layer.1.DenseReluDense.wo.weight', i),
          ),
        );
  });

  for (const config of [gated, plain]) {
    it(`depth 0 at its initial value equals task arithmetic (${config.feedForwardProj})`, async () => {
      const ids = [
        [3, 9, 1, 0],
        [7, 2, 5, 1],
      ];
      const mask = ids.map((r) => r.map((id, i) => (id !== 0 || i === 0 ? 1 : 0)));
      const dec = [
        [0, 4, 6],
        [0, 11, 2],
      ];
      const { pretrained, result } = await runWemoe(
        config,
        { routerDepth: 0, initLambda: 0.3 },
        ids,
        mask,
        dec,
      );
      const all = experts(pretrained);
      const merged: T5Params = new Map();
      for (const [name, t] of pretrained) {
        const base = t.data as Float32Array;
        const data = Float32Array.from(base, (v, i) =>
          TASKS.reduce((s, task) => s + 0.3 * ((all.get(task)!.get(name)!.data as Float32Array)[i] - v), v),
        );
        merged.set(name, { ...t, data });
      }
      const runner = T5Runner.create({ config, params: merged }, { threads: 1 });
      const want = await runner.forward(i64(ids), i64(mask), i64(dec));
      await runner.dispose();
      expect(maxDiff(result.logits, want.logits)).toBeLessThan(1e-4);
      expect(maxDiff(result.hidden, want.encoder_last_hidden_state)).toBeLessThan(1e-5);
      expect(result.enc.shape).toEqual([2, 2, 3]);
      expect(result.dec.shape).toEqual([3, 2, 3]);
      expect(Array.from(result.enc.data as Float32Array).every((w) => Math.abs(w - 0.3) < 1e-7)).toBe(true);
    });
  }

  it('routes a sentence the same whatever padding its batch adds (unless asked to include padding)', async () => {
    const ids = [
      [3, 9, 1, 0, 0],
      [7, 2, 5, 8, 1],
    ];
    const mask = [
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
    ];
    const dec = [
      [0, 4],
      [0, 11],
    ];
    const options = { routerDepth: 2 as const, seed: 4 };
    const batch = await runWemoe(gated, options, ids, mask, dec);
    const alone = await runWemoe(gated, options, [[3, 9, 1]], [[1, 1, 1]], [[0, 4]]);
    const row0 = (t: Tensor, width: number) => ({ ...t, data: (t.data as Float32Array).subarray(0, width) });
    expect(maxDiff(alone.result.logits, row0(batch.result.logits, 2 * 24))).toBeLessThan(1e-5);
    // encoder routing [L, B, T]: sample 0 of each layer
    const enc = batch.result.enc.data as Float32Array;
    const encAlone = alone.result.enc.data as Float32Array;
    for (let l = 0; l < 2; l++) {
      for (let t = 0; t < 3; t++) expect(enc[l * 6 + t]).toBeCloseTo(encAlone[l * 3 + t], 6);
    }
    expect(Math.abs(enc[0] - 0.3)).toBeGreaterThan(1e-4); // the router reads the tokens
    const padded = await runWemoe(gated, { ...options, routingIncludesPadding: true }, ids, mask, dec);
    expect(Math.abs((padded.result.enc.data as Float32Array)[0] - encAlone[0])).toBeGreaterThan(1e-6);
  });
});

/** The test-time objective's encoder inputs on `g`, and feeds of two prompts (the second unpadded). */
function objectiveInputs(g: Graph) {
  return {
    inputIds: g.input('input_ids', 'I64', ['batch', 'src']),
    attentionMask: g.input('attention_mask', 'I64', ['batch', 'src']),
    buckets: g.input('buckets', 'I64', ['src', 'src']),
  };
}
const OBJECTIVE_IDS = [
  [3, 9, 1, 0],
  [7, 2, 5, 1],
];
const objectiveFeeds = () => ({
  input_ids: i64(OBJECTIVE_IDS),
  attention_mask: i64(OBJECTIVE_IDS.map((r) => r.map((id, i) => (id !== 0 || i === 0 ? 1 : 0)))),
  buckets: positionBuckets(4, 4, { bidirectional: true, numBuckets: 8, maxDistance: 12 }),
});

describe('WEMoE on T5: the mixture forms', () => {
  it('the one-token decoder modules run factored by default, with the merged form numbers', async () => {
    const pretrained = randomT5Params(gated, 5);
    const model = upscaleT5ToWemoe(gated, pretrained, experts(pretrained), { routerDepth: 2, seed: 8 });
    const feeds = { ...objectiveFeeds(), ...Object.fromEntries(model.routers) };
    const run = async (form: 'auto' | 'merged') => {
      const g = new Graph();
      const inputs = objectiveInputs(g);
      const p = t5WemoeParams(model, g, { trainableRouters: true, mixtureForm: form });
      const loss = t5Entropy(firstStepLogits(gated, p.param, inputs, p), 'batch-mean');
      const names = [...p.routerInputs.keys()];
      const grads = grad(
        loss,
        names.map((n) => p.routerInputs.get(n)!),
      );
      const outputs = Object.fromEntries([['loss', loss], ...grads.map((v, k) => [`grad:${names[k]}`, v])]);
      const constants = emitModel(outputs, { externalData: 'inputs' }).boundConstants.map((v) => v.name);
      const step = await compile(outputs, { threads: 1 });
      const out = await step.run(feeds);
      await step.dispose();
      return { out, constants };
    };
    const auto = await run('auto');
    const merged = await run('merged');
    const rows = (c: readonly string[], stack: string) =>
      c.filter((n) => n.startsWith(stack) && n.includes('task_vectors.rows.')).length;
    expect([rows(auto.constants, 'decoder'), rows(auto.constants, 'encoder')]).toEqual([3 * 3, 0]);
    expect(rows(merged.constants, 'decoder')).toBe(0);
    for (const [name, t] of Object.entries(merged.out))
      expect(maxDiff(auto.out[name], t), name).toBeLessThan(
        1e-5 * Math.max(1, ...(t.data as Float32Array).map(Math.abs)),
      );
  });
});

describe('WEMoE on T5: router gradients of the test-time objective', () => {
  // auto: the encoder's modules merged per sample, the decoder's one-token modules factored.
  it.each(['auto', 'merged'] as const)(
    'equal central finite differences (FusionBench objective, depth 2, per-sample routing; %s form)',
    async (form) => {
      const pretrained = randomT5Params(gated, 5);
      const model = upscaleT5ToWemoe(gated, pretrained, experts(pretrained), { routerDepth: 2, seed: 8 });
      const g = new Graph();
      const inputs = objectiveInputs(g);
      const { param, feedForwardParams, routerInputs } = t5WemoeParams(model, g, {
        trainableRouters: true,
        mixtureForm: form,
      });
      const loss = t5Entropy(firstStepLogits(gated, param, inputs, { feedForwardParams }), 'batch-mean');
      const names = [...routerInputs.keys()];
      expect(names.length).toBe(model.routers.size);
      const grads = grad(
        loss,
        names.map((n) => routerInputs.get(n)!),
      );
      const step = await compile(Object.fromEntries([['loss', loss], ...grads.map((v, k) => [`g${k}`, v])]), {
        threads: 1,
      });
      const feeds = objectiveFeeds();
      const random = createRandom(12);
      const dirs = names.map((n) =>
        Float32Array.from(model.routers.get(n)!.data as Float32Array, () => random.normal()),
      );
      const routersAt = (h: number) =>
        Object.fromEntries(
          names.map((n, k) => {
            const r = model.routers.get(n)!;
            return [
              n,
              { ...r, data: Float32Array.from(r.data as Float32Array, (v, i) => v + h * dirs[k][i]) },
            ];
          }),
        );
      const out = await step.run({ ...feeds, ...routersAt(0) });
      const analytic = names.reduce(
        (s, _, k) => s + (out[`g${k}`].data as Float32Array).reduce((a, v, i) => a + v * dirs[k][i], 0),
        0,
      );
      const h = 1e-2;
      const plus = (await step.run({ ...feeds, ...routersAt(h) })).loss.data[0] as number;
      const minus = (await step.run({ ...feeds, ...routersAt(-h) })).loss.data[0] as number;
      const numeric = (plus - minus) / (2 * h);
      expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
      expect(Math.abs(numeric - analytic)).toBeLessThan(2e-2 * Math.abs(analytic) + 1e-4);
      await step.dispose();
    },
  );
});
