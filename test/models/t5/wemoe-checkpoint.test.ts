import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/data/random.js';
import { openSafetensors } from '../../../src/io/safetensors-reader.js';
import { saveSafetensors } from '../../../src/io/safetensors-writer.js';
import { forwardFile } from '../../../src/models/forward-file.js';
import { saveT5 } from '../../../src/models/t5/checkpoint.js';
import { randomT5Params, type T5Params } from '../../../src/models/t5/params.js';
import { upscaleT5ToWemoe } from '../../../src/models/t5/wemoe.js';
import { loadT5Wemoe, saveT5Wemoe } from '../../../src/models/t5/wemoe-checkpoint.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { tinyGatedT5 } from './tiny.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-t5-wemoe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = tinyGatedT5({ vocab_size: 24, num_layers: 2, num_decoder_layers: 1 });
const pretrained = randomT5Params(config, 2);
const experts = new Map(
  ['mrpc', 'qqp'].map((task, k) => {
    const random = createRandom(50 + k);
    const params: T5Params = new Map();
    for (const [name, t] of pretrained)
      params.set(name, {
        ...t,
        data: Float32Array.from(t.data as Float32Array, (v) => v + 0.05 * random.normal()),
      });
    return [task, params];
  }),
);
const i64 = (rows: number[][]): Tensor => ({
  dtype: 'I64',
  shape: [rows.length, rows[0].length],
  data: BigInt64Array.from(rows.flat().map(BigInt)),
});

describe('WEMoE T5 folders', () => {
  it('save and load give back every tensor and setting', () => {
    const model = upscaleT5ToWemoe(config, pretrained, experts, {
      routerDepth: 1,
      routingIncludesPadding: true,
      seed: 3,
    });
    saveT5Wemoe(join(dir, 'd1'), model);
    const back = loadT5Wemoe(join(dir, 'd1'));
    expect(back.experts).toEqual(['mrpc', 'qqp']);
    expect([back.routerDepth, back.initLambda, back.batchReduce, back.routingIncludesPadding]).toEqual([
      1,
      0.3,
      false,
      true,
    ]);
    expect([...back.routers.keys()]).toEqual([...model.routers.keys()]);
    for (const [name, t] of model.routers) expect(back.routers.get(name)!.data, name).toEqual(t.data);
    for (const [name, t] of model.shared) expect(back.shared.get(name)!.data, name).toEqual(t.data);
    for (const [prefix, moe] of model.moes) {
      for (const [part, tv] of moe.taskVectors)
        expect(back.moes.get(prefix)!.taskVectors.get(part)!.data, `${prefix}${part}`).toEqual(tv.data);
    }
    const source = openSafetensors(join(dir, 'd1', 'model.safetensors'));
    expect(source.has('encoder.block.1.layer.1.DenseReluDense.gate.fc.weight')).toBe(true);
    expect(source.has('decoder.block.0.layer.2.DenseReluDense.task_vectors.1.wi_0.weight')).toBe(true);
    expect(source.has('decoder.block.0.layer.2.DenseReluDense.base_model.wo.weight')).toBe(true);
    source.close();
  });

  it('wemoe forward writes the routing weights; at depth 0 the logits are task arithmetic', async () => {
    const model = upscaleT5ToWemoe(config, pretrained, experts, { routerDepth: 0, initLambda: 0.4 });
    saveT5Wemoe(join(dir, 'd0'), model);
    const merged: T5Params = new Map();
    for (const [name, t] of pretrained) {
      const xs = [...experts.values()].map((p) => p.get(name)!.data as Float32Array);
      merged.set(name, {
        ...t,
        data: Float32Array.from(t.data as Float32Array, (v, i) => v + 0.4 * (xs[0][i] - v + xs[1][i] - v)),
      });
    }
    saveT5(join(dir, 'ta'), { config, params: merged });
    const input = join(dir, 'x.safetensors');
    saveSafetensors(input, {
      input_ids: i64([
        [5, 6, 1],
        [9, 1, 0],
      ]),
      attention_mask: i64([
        [1, 1, 1],
        [1, 1, 0],
      ]),
    });
    const got = await forwardFile({
      model: join(dir, 'd0'),
      input,
      output: join(dir, 'y.safetensors'),
      threads: 1,
    });
    const want = await forwardFile({
      model: join(dir, 'ta'),
      input,
      output: join(dir, 'z.safetensors'),
      threads: 1,
    });
    expect(got.encoder_routing_weights.shape).toEqual([2, 2, 2]);
    expect(got.decoder_routing_weights.shape).toEqual([1, 2, 2]);
    expect(Array.from(got.decoder_routing_weights.data as Float32Array)).toEqual(
      [0.4, 0.4, 0.4, 0.4].map(Math.fround),
    );
    const diff = (got.logits.data as Float32Array).reduce(
      (m, v, i) => Math.max(m, Math.abs(v - (want.logits.data as Float32Array)[i])),
      0,
    );
    expect(diff).toBeLessThan(1e-4);
    expect(Object.keys(want)).toEqual(['encoder_last_hidden_state', 'logits']);
  });
});
