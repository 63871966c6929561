import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../../../src/graph/index.js';
import { type T5ParamLookup, t5Decoder, t5Encoder } from '../../../src/models/t5/model.js';
import { randomT5Params } from '../../../src/models/t5/params.js';
import { positionBuckets } from '../../../src/models/t5/position-bucket.js';
import { compile } from '../../../src/runtime/index.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { referenceEncoder } from './reference.js';
import { tinyGatedT5 } from './tiny.js';

const config = tinyGatedT5({ vocab_size: 30, num_layers: 2 });
const params = randomT5Params(config, 13);
const WO = 'encoder.block.0.layer.1.DenseReluDense.wo.weight';
const IDS = [
  [3, 7, 1, 0],
  [9, 2, 5, 1],
];

const i64 = (rows: number[][]): Tensor => ({
  dtype: 'I64',
  shape: [rows.length, rows[0].length],
  data: BigInt64Array.from(rows.flat().map(BigInt)),
});

describe('T5 feed-forward parameter hook', () => {
  it('runs per-sample weights [B, out, in] and sees the module input and padding mask', async () => {
    const g = new Graph();
    const made = new Map<string, Value>();
    const param: T5ParamLookup = (name) => {
      if (!made.has(name)) made.set(name, g.constant(params.get(name)!, name));
      return made.get(name)!;
    };
    const wo = params.get(WO)!;
    // Sample 0 keeps wo, sample 1 gets zeros: its block-0 feed-forward adds nothing.
    const perSample = g.constant({
      dtype: 'F32',
      shape: [2, ...wo.shape],
      data: Float32Array.from([...(wo.data as Float32Array), ...new Float32Array(wo.data.length)]),
    });
    const attentionMask = g.input('attention_mask', 'I64', [2, 4]);
    const seen: string[] = [];
    const hook = (stack: 'encoder' | 'decoder', block: number, x: Value, mask: Value | undefined) => {
      seen.push(`${stack}.${block}:${x.shape.join('x')}:${mask === attentionMask ? 'mask' : String(mask)}`);
      if (stack !== 'encoder' || block !== 0) return undefined;
      return (name: string) => (name === WO ? perSample : param(name));
    };
    const inputs = {
      inputIds: g.input('input_ids', 'I64', [2, 4]),
      attentionMask,
      buckets: g.input('buckets', 'I64', [4, 4]),
    };
    const hidden = t5Encoder(config, param, inputs, { feedForwardParams: hook });
    t5Decoder(
      config,
      param,
      {
        decoderInputIds: g.input('decoder_input_ids', 'I64', [2, 1]),
        attentionMask,
        buckets: g.input('decoder_buckets', 'I64', [1, 1]),
        causalBias: g.input('causal', 'F32', [1, 1]),
        encoderHidden: hidden,
      },
      { feedForwardParams: hook },
    );
    expect(seen).toEqual([
      'encoder.0:2x4x8:mask',
      'encoder.1:2x4x8:mask',
      'decoder.0:2x1x8:undefined',
      'decoder.1:2x1x8:undefined',
    ]);
    const session = await compile({ hidden }, { threads: 1 });
    const mask = [
      [1, 1, 1, 0],
      [1, 1, 1, 1],
    ];
    const { numBuckets, maxDistance } = {
      numBuckets: config.relativeAttentionNumBuckets,
      maxDistance: config.relativeAttentionMaxDistance,
    };
    const out = await session.run({
      input_ids: i64(IDS),
      attention_mask: i64(mask),
      buckets: positionBuckets(4, 4, { bidirectional: true, numBuckets, maxDistance }),
    });
    const got = out.hidden.data as Float32Array;
    const zeroed = new Map(params);
    zeroed.set(WO, { ...wo, data: new Float32Array(wo.data.length) });
    const want = [
      referenceEncoder(config, params, IDS[0], mask[0]),
      referenceEncoder(config, zeroed, IDS[1], mask[1]),
    ].flatMap((rows) => rows.flatMap((r) => [...r]));
    expect(got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0)).toBeLessThan(2e-5);
    await session.dispose();
  });
});
