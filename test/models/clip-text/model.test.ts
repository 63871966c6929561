import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadClipText } from '../../../src/models/clip-text/checkpoint.js';
import { CLIP_TEXT_DEFAULTS, parseClipTextConfig } from '../../../src/models/clip-text/config.js';
import { ClipTextRunner } from '../../../src/models/clip-text/runner.js';
import { loadClipVision } from '../../../src/models/clip-vision/checkpoint.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { referencePooledPosition, referenceTextForward } from './reference-text.js';
import { writeTinyClipModel } from './tiny-clip-model.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-clip-text-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function ids(rows: number[][]): Tensor {
  return {
    dtype: 'I64',
    shape: [rows.length, rows[0].length],
    data: BigInt64Array.from(rows.flat(), BigInt),
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const row = (t: Tensor, r: number) => {
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return (t.data as Float32Array).subarray(r * width, (r + 1) * width);
};

// Rows of a padded batch: start 520, tokens, end 521, then padding (the end id) masked out.
const ROWS = [
  [520, 64, 515, 17, 521, 521, 521],
  [520, 300, 7, 250, 11, 90, 521],
  [520, 521, 521, 521, 521, 521, 521],
];
const MASK = ROWS.map((r) => r.map((_, j) => (j <= r.indexOf(521) ? 1 : 0)));

describe('CLIP text tower on ONNX Runtime', () => {
  it('matches the float64 reference with and without attention_mask', async () => {
    const dir = join(root, 'f32');
    const { text, params } = writeTinyClipModel(dir);
    const runner = ClipTextRunner.load(dir, { threads: 1 });
    for (const mask of [undefined, MASK]) {
      const out = await runner.forward(ids(ROWS), mask && ids(mask));
      expect(out.text_embeds.shape).toEqual([3, 8]);
      expect(out.pooler_output.shape).toEqual([3, 12]);
      expect(out.last_hidden_state.shape).toEqual([3, 7, 12]);
      ROWS.forEach((r, b) => {
        const ref = referenceTextForward(text, params, r, mask?.[b]);
        expect(maxAbsDiff(row(out.text_embeds, b), ref.textEmbeds)).toBeLessThan(1e-5);
        expect(maxAbsDiff(row(out.pooler_output, b), ref.poolerOutput)).toBeLessThan(1e-5);
        const hidden = ref.lastHiddenState.flatMap((h) => [...h]);
        expect(maxAbsDiff(row(out.last_hidden_state, b), hidden)).toBeLessThan(1e-5);
      });
    }
    await runner.dispose();
  });

  it('the mask changes padded positions only: the pooled outputs are equal with and without it', async () => {
    const dir = join(root, 'mask');
    writeTinyClipModel(dir, { seed: 5 });
    const runner = ClipTextRunner.load(dir, { threads: 1 });
    const plain = await runner.forward(ids(ROWS));
    const masked = await runner.forward(ids(ROWS), ids(MASK));
    expect(
      maxAbsDiff(plain.text_embeds.data as Float32Array, masked.text_embeds.data as Float32Array),
    ).toBeLessThan(1e-6);
    expect(maxAbsDiff(row(plain.last_hidden_state, 0), row(masked.last_hidden_state, 0))).toBeGreaterThan(
      1e-3,
    );
    await runner.dispose();
  });

  it('pools with the legacy rule (eos_token_id 2: argmax of the ids) and the eos rule', async () => {
    const rows = [
      [520, 300, 7, 521, 9],
      [5, 300, 7, 250, 9], // no end token: argmax is position 1, the eos rule gives position 0
    ];
    for (const eosTokenId of [2, 521]) {
      const dir = join(root, `eos-${eosTokenId}`);
      const { text, params } = writeTinyClipModel(dir, { eosTokenId });
      expect(rows.map((r) => referencePooledPosition(text, r))).toEqual(eosTokenId === 2 ? [3, 1] : [3, 0]);
      const runner = ClipTextRunner.load(dir, { threads: 1 });
      const out = await runner.forward(ids(rows));
      rows.forEach((r, b) => {
        const ref = referenceTextForward(text, params, r);
        expect(maxAbsDiff(row(out.pooler_output, b), ref.poolerOutput)).toBeLessThan(1e-5);
      });
      await runner.dispose();
    }
  });

  for (const [dtype, eps] of [
    ['F16', 2 ** -11],
    ['BF16', 2 ** -8],
  ] as const) {
    it(`loads a ${dtype} CLIPModel: both towers rounded to ${dtype}, the forward exact on them`, async () => {
      const dir = join(root, dtype);
      const { params } = writeTinyClipModel(dir, { dtype });
      const model = loadClipText(dir);
      expect(Math.abs(model.logitScale! - Math.log(100))).toBeLessThanOrEqual(Math.log(100) * eps);
      for (const [name, loaded] of model.params) {
        const original = params.get(name)!.data as Float32Array;
        (loaded.data as Float32Array).forEach((v, i) => {
          expect(Math.abs(v - original[i])).toBeLessThanOrEqual(Math.abs(original[i]) * eps + 1e-7);
        });
      }
      expect(loadClipVision(dir).visualProjection?.shape).toEqual([8, 16]);
      const runner = ClipTextRunner.create(model, { threads: 1 });
      const out = await runner.forward(ids([ROWS[1]]));
      const ref = referenceTextForward(model.config, model.params, ROWS[1]);
      expect(maxAbsDiff(row(out.text_embeds, 0), ref.textEmbeds)).toBeLessThan(1e-5);
      await runner.dispose();
    });
  }

  it('rejects ids outside the vocabulary and sequences past the context', async () => {
    const dir = join(root, 'errors');
    writeTinyClipModel(dir);
    const runner = ClipTextRunner.load(dir, { threads: 1 });
    await expect(runner.forward(ids([[520, 600, 521]]))).rejects.toThrow(
      'input_ids: id 600 is outside the vocabulary [0, 522)',
    );
    await expect(runner.forward(ids([Array(78).fill(5)]))).rejects.toThrow(
      'input_ids: expected I64 [B, S] with 1 ≤ S ≤ 77, got I64 [1, 78]',
    );
  });
});

describe('CLIP text config', () => {
  it("reads text_config with Hugging Face's defaults and the top-level projection_dim", () => {
    const config = parseClipTextConfig({
      model_type: 'clip',
      projection_dim: 768,
      text_config: { hidden_size: 768, num_attention_heads: 12, eos_token_id: 2, bad_words_ids: null },
    });
    expect(config).toEqual({
      ...CLIP_TEXT_DEFAULTS,
      hiddenSize: 768,
      numAttentionHeads: 12,
      projectionDim: 768,
      eosTokenId: 2,
    });
    expect(
      parseClipTextConfig({ model_type: 'clip', text_config: { projection_dim: 64 } }).projectionDim,
    ).toBe(64);
    expect(() =>
      parseClipTextConfig(
        { model_type: 'clip', text_config: { hidden_size: 10, num_attention_heads: 3 } },
        'c.json',
      ),
    ).toThrow('c.json: text_config.hidden_size 10 is not a multiple of num_attention_heads 3');
    expect(() =>
      parseClipTextConfig({ model_type: 'clip', text_config: { vocab_size: -1 } }, 'c.json'),
    ).toThrow(/c.json: text_config.vocab_size = -1: /);
  });
});
