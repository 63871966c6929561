// runMethod on T5 models in memory: the library call a demo makes per row (prompts in, a T5 model out).
import { describe, expect, it } from 'vitest';
import { runMethod } from '../../src/methods/run-method.js';
import { t5TestTimeInputs } from '../../src/methods/t5-test-time-inputs.js';
import { randomT5Params } from '../../src/models/t5/params.js';
import { T5Tokenizer } from '../../src/models/tokenizers/t5.js';
import { perturbedExperts, tinyGatedT5 } from '../models/t5/tiny.js';
import { TINY_TOKENIZER, TINY_VOCAB } from '../models/tokenizers/t5-fixture.js';

const config = tinyGatedT5({ vocab_size: TINY_VOCAB.length });
const pretrained = { config, params: randomT5Params(config, 8) };
const experts = perturbedExperts(pretrained.params, ['cola', 'mrpc'], { seed: 90, scale: 0.2 });
const tokenizer = T5Tokenizer.fromJson(JSON.stringify(TINY_TOKENIZER), 'tokenizer.json');
const run = { log: () => {}, progress: 'none' as const };
const TTA = { steps: 2, batch_size: 2, lr: 0.05, schedule: 'constant' };

async function inputs() {
  return t5TestTimeInputs({
    pretrained,
    experts,
    tokenizer,
    tasks: [
      { name: 'cola', prompts: ['the cat sat', 'cat the', 'sat .'], labels: ['no', 'yes'] },
      { name: 'mrpc', prompts: ['the cat', 'a cat sat .'], labels: ['yes', 'no'] },
    ],
    seed: 4,
  });
}

describe('runMethod on T5 inputs', () => {
  it('tokenizes the prompts (right-padded batches) and takes the label words first tokens', async () => {
    const x = await inputs();
    expect(x.tasks.map((t) => [t.name, t.count])).toEqual([
      ['cola', 3],
      ['mrpc', 2],
    ]);
    const batch = await x.tasks[0].pixels([1, 0]);
    expect(batch.shape).toEqual([2, 4]);
    expect(Array.from(batch.data as BigInt64Array, Number)).toEqual([5, 4, 1, 0, 4, 5, 9, 1]);
    // ▁no is id 12, ▁yes 11 in the tiny vocabulary.
    expect(x.labelTokens).toEqual({ cola: [12, 11], mrpc: [11, 12] });
  });

  it('a static method gives the plain merged T5 model', async () => {
    const outcome = await runMethod('task_arithmetic', { scaling_factor: 0.5 }, await inputs(), run);
    expect(outcome.model.kind).toBe('t5');
    if (outcome.model.kind !== 't5') return;
    expect(outcome.model.model.config).toEqual(config);
    const name = 'encoder.block.0.layer.1.DenseReluDense.wo.weight';
    const base = pretrained.params.get(name)!.data as Float32Array;
    const [a, b] = [...experts.values()].map((p) => p.get(name)!.data as Float32Array);
    const got = outcome.model.model.params.get(name)!.data as Float32Array;
    for (let i = 0; i < base.length; i++)
      expect(got[i]).toBeCloseTo(base[i] + 0.5 * (a[i] - base[i] + b[i] - base[i]), 6);
  });

  it('wemoe gives a WEMoE T5 model with adapted routers; adamerging the plain merge of its λ', async () => {
    const wemoe = await runMethod(
      'wemoe',
      { router_depth: 1, objective: 'labels', ...TTA },
      await inputs(),
      run,
    );
    expect(wemoe.model.kind).toBe('t5-wemoe');
    expect(wemoe.tta?.steps).toBe(2);
    expect(wemoe.parameters.objective).toBe('labels');
    if (wemoe.model.kind !== 't5-wemoe') return;
    expect(wemoe.trainableParams).toBe(2 * (8 * 2 + 2)); // encoder and decoder block: fc [2, 8] + bias [2]

    const ada = await runMethod('adamerging', { granularity: 'task', ...TTA }, await inputs(), run);
    expect(ada.model.kind).toBe('t5');
    expect(ada.trainableParams).toBe(2);
    const written = ada.files!['adamerging_coefficients.json'] as { coefficients: number[] };
    const coefficients = written.coefficients;
    expect(coefficients.some((l) => Math.abs(l - 0.3) > 1e-4)).toBe(true);
  });

  it('refuses settings T5 does not take, in one line', async () => {
    await expect(runMethod('wemoe', { upscaled_layers: [0], ...TTA }, await inputs(), run)).rejects.toThrow(
      'wemoe: on T5 the feed-forward module of every block is upscaled; expected parameters.upscaled_layers all and upscaled_modules [mlp]',
    );
    const noLabels = await t5TestTimeInputs({
      pretrained,
      experts,
      tokenizer,
      tasks: [
        { name: 'cola', prompts: ['the cat'] },
        { name: 'mrpc', prompts: ['a cat'] },
      ],
      seed: 1,
    });
    // Refused before a model is built: the experts are never read.
    const unread = { ...noLabels, experts: new Map([...noLabels.experts.keys()].map((k) => [k, new Map()])) };
    const refusal = (method: string) =>
      `${method}: objective labels: task cola has no label words (a task scored by a number, such as STS-B); expected batch-mean or per-sample, or label words for every task`;
    for (const method of ['adamerging', 'wemoe'])
      await expect(
        runMethod(method, { objective: 'labels', ...TTA, batch_size: 1 }, unread, run),
      ).rejects.toThrow(refusal(method));
  });
});
