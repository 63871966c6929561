import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveSafetensors } from '../../../src/io/safetensors-writer.js';
import { forwardT5File } from '../../../src/models/t5/forward-file.js';
import { randomT5Params, type T5Params } from '../../../src/models/t5/params.js';
import { argmaxLast, T5Runner } from '../../../src/models/t5/runner.js';
import { t5WemoeParamCounts, upscaleT5ToWemoe } from '../../../src/models/t5/wemoe.js';
import { saveT5Wemoe } from '../../../src/models/t5/wemoe-checkpoint.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { perturbedExperts, tinyGatedT5 } from './tiny.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-t5-runner-wemoe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = tinyGatedT5({ vocab_size: 24, num_layers: 2, num_decoder_layers: 2 });
const pretrained = randomT5Params(config, 4);
const experts = perturbedExperts(pretrained, ['cola', 'rte', 'qqp'], { seed: 70, scale: 0.2 });
const i64 = (rows: number[][]): Tensor => ({
  dtype: 'I64',
  shape: [rows.length, rows[0].length],
  data: BigInt64Array.from(rows.flat().map(BigInt)),
});
const ids = i64([
  [5, 6, 9, 1],
  [9, 1, 0, 0],
]);
const mask = i64([
  [1, 1, 1, 1],
  [1, 1, 0, 0],
]);
const decoderIds = i64([
  [0, 7, 3],
  [0, 2, 2],
]);

describe('T5Runner on a WEMoE T5 model', () => {
  it('gives the same logits and answers before saving and after loading the folder', async () => {
    const model = upscaleT5ToWemoe(config, pretrained, experts, { routerDepth: 2, seed: 3 });
    const before = T5Runner.create(model, { threads: 1 });
    const forward = await before.forward(ids, mask, decoderIds);
    const answers = await before.generate(ids, mask, { maxNewTokens: 4 });
    await before.dispose();
    expect(before.paramCounts).toEqual(t5WemoeParamCounts(model));
    expect(before.paramCounts.trainable).toBe(
      [...model.routers.values()].reduce((n, t) => n + t.data.length, 0),
    );

    saveT5Wemoe(join(dir, 'wemoe'), model);
    const after = T5Runner.load(join(dir, 'wemoe'), { threads: 1 });
    const loaded = await after.forward(ids, mask, decoderIds);
    expect(loaded.logits.data).toEqual(forward.logits.data);
    expect(loaded.encoder_last_hidden_state.data).toEqual(forward.encoder_last_hidden_state.data);
    expect(await after.generate(ids, mask, { maxNewTokens: 4 })).toEqual(answers);
    // The first generated token is the forward's argmax after the start token (one decoder token routed).
    const first = await after.forward(ids, mask);
    expect(answers.map((row) => row[0])).toEqual(argmaxLast(first.logits));
    await after.dispose();

    // wemoe forward's graph (with the routing outputs) gives the runner's logits.
    const input = join(dir, 'x.safetensors');
    saveSafetensors(input, { input_ids: ids, attention_mask: mask, decoder_input_ids: decoderIds });
    const file = await forwardT5File({
      model: join(dir, 'wemoe'),
      input,
      output: join(dir, 'y.safetensors'),
      threads: 1,
    });
    const logits = forward.logits.data as Float32Array;
    const diff = (file.logits.data as Float32Array).reduce(
      (m, v, i) => Math.max(m, Math.abs(v - logits[i])),
      0,
    );
    expect(diff).toBeLessThan(1e-5);
    expect(file.encoder_routing_weights.shape).toEqual([2, 2, 3]);
    expect(file.decoder_routing_weights.shape).toEqual([2, 2, 3]);
  });

  it('at depth 0 and its initial value, answers as the task-arithmetic model', async () => {
    const model = upscaleT5ToWemoe(config, pretrained, experts, { routerDepth: 0, initLambda: 0.3 });
    const merged: T5Params = new Map();
    for (const [name, t] of pretrained) {
      const xs = [...experts.values()].map((p) => p.get(name)!.data as Float32Array);
      const data = Float32Array.from(t.data as Float32Array, (v, i) =>
        xs.reduce((s, x) => s + 0.3 * (x[i] - v), v),
      );
      merged.set(name, { ...t, data });
    }
    const wemoe = T5Runner.create(model, { threads: 1 });
    const plain = T5Runner.create({ config, params: merged }, { threads: 1 });
    const a = await wemoe.forward(ids, mask, decoderIds);
    const b = await plain.forward(ids, mask, decoderIds);
    const bl = b.logits.data as Float32Array;
    expect(
      (a.logits.data as Float32Array).reduce((m, v, i) => Math.max(m, Math.abs(v - bl[i])), 0),
    ).toBeLessThan(1e-4);
    expect(await wemoe.generate(ids, mask, { maxNewTokens: 5 })).toEqual(
      await plain.generate(ids, mask, { maxNewTokens: 5 }),
    );
    await wemoe.dispose();
    await plain.dispose();
  });
});
