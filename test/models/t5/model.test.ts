import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../../../src/io/checkpoint.js';
import { saveSafetensors } from '../../../src/io/safetensors-writer.js';
import { loadT5, saveT5 } from '../../../src/models/t5/checkpoint.js';
import { parseT5Config, type T5Config } from '../../../src/models/t5/config.js';
import { randomT5Params, type T5Params } from '../../../src/models/t5/params.js';
import { T5Runner } from '../../../src/models/t5/runner.js';
import { convertTensor } from '../../../src/tensor/convert.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { referenceDecoder, referenceEncoder, referenceGreedy } from './reference.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-t5-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tiny = {
  model_type: 't5',
  vocab_size: 40,
  d_model: 16,
  d_ff: 24,
  num_layers: 2,
  relative_attention_num_buckets: 8,
  relative_attention_max_distance: 12,
};
/** T5 v1.0: ReLU feed-forward, tied lm_head (scaled by D^-0.5), heads fill D. */
const v10 = parseT5Config({ ...tiny, d_kv: 8, num_heads: 2, feed_forward_proj: 'relu' });
/** T5 v1.1 / Flan-T5: gated gelu_new, untied lm_head, heads narrower than D, a deeper decoder. */
const v11 = parseT5Config({
  ...tiny,
  d_kv: 4,
  num_heads: 3,
  num_decoder_layers: 3,
  feed_forward_proj: 'gated-gelu',
  tie_word_embeddings: false,
});

const i64 = (rows: number[][]): Tensor => ({
  dtype: 'I64',
  shape: [rows.length, rows[0].length],
  data: BigInt64Array.from(rows.flat().map(BigInt)),
});

// Row 1 is padded: its last three positions are hidden from every attention.
const IDS = [
  [5, 17, 3, 29, 11, 8, 1],
  [22, 9, 14, 1, 0, 0, 0],
];
const MASK = [
  [1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 0, 0, 0],
];
const DECODER = [
  [0, 7, 13, 2, 36],
  [0, 31, 4, 4, 19],
];

function maxAbsDiff(got: Float32Array, want: Float64Array[]): number {
  const flat = want.flatMap((row) => [...row]);
  expect(got.length).toBe(flat.length);
  return flat.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i])), 0);
}

function runnerFor(name: string, config: T5Config, params: T5Params): T5Runner {
  const dir = join(root, name);
  saveT5(dir, { config, params });
  return T5Runner.load(dir, { threads: 1 });
}

describe('T5 forward on ONNX Runtime', () => {
  for (const [label, config] of [
    ['v1.0 (relu, tied)', v10],
    ['v1.1 (gated gelu_new, untied)', v11],
  ] as const) {
    it(`matches the float64 reference: ${label}`, async () => {
      const params = randomT5Params(config, 7);
      const runner = runnerFor(label.slice(0, 4), config, params);
      const out = await runner.forward(i64(IDS), i64(MASK), i64(DECODER));
      expect(out.encoder_last_hidden_state.shape).toEqual([2, 7, 16]);
      expect(out.logits.shape).toEqual([2, 5, 40]);
      const hidden = out.encoder_last_hidden_state.data as Float32Array;
      const logits = out.logits.data as Float32Array;
      for (let b = 0; b < 2; b++) {
        const enc = referenceEncoder(config, params, IDS[b], MASK[b]);
        expect(maxAbsDiff(hidden.subarray(b * 112, (b + 1) * 112), enc)).toBeLessThan(2e-5);
        const ref = referenceDecoder(config, params, DECODER[b], enc, MASK[b]);
        expect(maxAbsDiff(logits.subarray(b * 200, (b + 1) * 200), ref)).toBeLessThan(1e-4);
      }
      // Padding changes nothing for the real tokens: row 1 alone and unpadded gives the same logits.
      const alone = await runner.forward(i64([IDS[1].slice(0, 4)]), undefined, i64([DECODER[1]]));
      const padded = logits.subarray(200, 400);
      const aloneLogits = alone.logits.data as Float32Array;
      expect(aloneLogits.reduce((m, v, i) => Math.max(m, Math.abs(v - padded[i])), 0)).toBeLessThan(1e-4);
      await runner.dispose();
    });

    it(`greedy generation with the cache equals the reference's: ${label}`, async () => {
      const params = randomT5Params(config, 3);
      const runner = runnerFor(`gen-${label.slice(0, 4)}`, config, params);
      const got = await runner.generate(i64(IDS), i64(MASK), { maxNewTokens: 6 });
      const want = IDS.map((ids, b) => referenceGreedy(config, params, ids, MASK[b], 6));
      expect(got).toEqual(want);
      expect(got[0].length).toBeGreaterThan(1);
      await runner.dispose();
    });
  }

  it('a decoder step over encoder states gives the forward logits', async () => {
    const params = randomT5Params(v11, 5);
    const runner = T5Runner.create({ config: v11, params }, { threads: 1 });
    const out = await runner.forward(i64(IDS), i64(MASK), i64(DECODER));
    const logits = await runner.decode(out.encoder_last_hidden_state, i64(MASK), i64(DECODER));
    expect(Array.from(logits.data as Float32Array)).toEqual(Array.from(out.logits.data as Float32Array));
    await runner.dispose();
  });

  it('rejects ids outside the vocabulary and masks of another shape', async () => {
    const runner = T5Runner.create({ config: v10, params: randomT5Params(v10, 1) }, { threads: 1 });
    await expect(runner.forward(i64([[1, 40]]))).rejects.toThrow(
      'input_ids: token id 40 at element 1 is outside [0, 40)',
    );
    await expect(runner.forward(i64([[1, 2]]), i64([[1]]))).rejects.toThrow(
      'attention_mask: expected I64 [1, 2] as input_ids, got I64 [1, 1]',
    );
    await runner.dispose();
  });
});

describe('T5 folders', () => {
  it('loads BF16 shards as the rounded float32 weights', () => {
    const params = randomT5Params(v11, 2);
    const dir = join(root, 'bf16');
    saveT5(dir, { config: v11, params }, { dtype: 'BF16', maxShardBytes: 4000 });
    const loaded = loadT5(dir);
    expect(loaded.config).toEqual(v11);
    for (const [name, t] of params) {
      const rounded = convertTensor(convertTensor(t, 'BF16'), 'F32').data;
      expect(loaded.params.get(name)!.data, name).toEqual(rounded);
    }
  });

  it('takes the embedding from encoder.embed_tokens and ignores a tied lm_head copy', () => {
    const params = randomT5Params(v10, 4);
    const dir = join(root, 'aliases');
    const stored = new Map(params);
    const shared = stored.get('shared.weight')!;
    stored.delete('shared.weight');
    stored.set('encoder.embed_tokens.weight', shared);
    stored.set('lm_head.weight', shared);
    writeConfig(dir, { ...tiny, d_kv: 8, num_heads: 2 });
    saveSafetensors(join(dir, 'model.safetensors'), Object.fromEntries(stored), { format: 'pt' });
    expect(loadT5(dir).params.get('shared.weight')!.data).toEqual(shared.data);
    stored.delete('encoder.block.1.layer.1.DenseReluDense.wo.weight');
    saveSafetensors(join(dir, 'model.safetensors'), Object.fromEntries(stored), { format: 'pt' });
    expect(() => loadT5(dir)).toThrow(
      /model\.safetensors: T5 parameters do not match the config; 1 missing: encoder\.block\.1\.layer\.1\.DenseReluDense\.wo\.weight/,
    );
  });

  it('reads Hugging Face config fields and rejects bad ones', () => {
    expect(v11.denseActFn).toBe('gelu_new');
    expect(v11.isGatedAct).toBe(true);
    expect(v10.numDecoderLayers).toBe(2);
    expect(v10.decoderStartTokenId).toBe(0);
    expect(parseT5Config({ model_type: 't5', feed_forward_proj: 'gated-silu' }).denseActFn).toBe('silu');
    expect(() => parseT5Config({ model_type: 't5', feed_forward_proj: 'gated-swish' })).toThrow(
      'config.json: feed_forward_proj "gated-swish": activation swish is not one of relu, gelu, gelu_new, silu',
    );
    expect(() => parseT5Config({ model_type: 'bert' })).toThrow('config.json: model_type "bert" is not "t5"');
    expect(() => parseT5Config({ model_type: 't5', d_model: 0 })).toThrow(/field d_model = 0/);
  });
});
