import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveSafetensors } from '../../../src/io/safetensors-writer.js';
import { saveClipVision } from '../../../src/models/clip-vision/checkpoint.js';
import { normalSampler, randomClipParams } from '../../../src/models/clip-vision/params.js';
import { ClipVisionRunner } from '../../../src/models/clip-vision/runner.js';
import { forwardFile } from '../../../src/models/forward-file.js';
import { float32, type Tensor } from '../../../src/tensor/tensor.js';
import { referenceTextForward } from './reference-text.js';
import { writeTinyClipModel } from './tiny-clip-model.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-forward-text-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const model = join(root, 'clip');
const { vision, text, params } = writeTinyClipModel(model);

const ROWS = [
  [520, 64, 515, 521, 521],
  [520, 300, 7, 250, 521],
];
const MASK = [
  [1, 1, 1, 1, 0],
  [1, 1, 1, 1, 1],
];
const i64 = (rows: number[][]): Tensor => ({
  dtype: 'I64',
  shape: [rows.length, rows[0].length],
  data: BigInt64Array.from(rows.flat(), BigInt),
});
const normal = normalSampler(9);
const pixels = float32([2, 3, 8, 8], Array.from({ length: 384 }, normal));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('wemoe forward on a full CLIPModel folder', () => {
  it('writes text_embeds and text_pooler_output for input_ids (+ attention_mask)', async () => {
    const input = join(root, 'ids.safetensors');
    saveSafetensors(input, { input_ids: i64(ROWS), attention_mask: i64(MASK) });
    const out = await forwardFile({ model, input, output: join(root, 'ids-out.safetensors'), threads: 1 });
    expect(Object.keys(out).sort()).toEqual(['text_embeds', 'text_pooler_output']);
    expect(out.text_embeds.shape).toEqual([2, 8]);
    expect(out.text_pooler_output.shape).toEqual([2, 12]);
    ROWS.forEach((row, b) => {
      const ref = referenceTextForward(text, params, row, MASK[b]);
      const got = (out.text_embeds.data as Float32Array).subarray(b * 8, (b + 1) * 8);
      expect(maxAbsDiff(got, ref.textEmbeds)).toBeLessThan(1e-5);
    });
  });

  it('runs both towers when pixel_values and input_ids are given', async () => {
    const input = join(root, 'both.safetensors');
    saveSafetensors(input, { pixel_values: pixels, input_ids: i64(ROWS) });
    const out = await forwardFile({ model, input, output: join(root, 'both-out.safetensors'), threads: 1 });
    expect(Object.keys(out).sort()).toEqual([
      'last_hidden_state',
      'pooler_output',
      'text_embeds',
      'text_pooler_output',
    ]);
    // The vision tower of the full CLIPModel is the one saved under vision_model.*.
    const visionParams = new Map([...params].filter(([n]) => n.startsWith('vision_model.')));
    const runner = ClipVisionRunner.create({ config: vision, params: visionParams }, { threads: 1 });
    const expected = await runner.forward(pixels);
    await runner.dispose();
    expect(
      maxAbsDiff(out.pooler_output.data as Float32Array, expected.pooler_output.data as Float32Array),
    ).toBe(0);
  });

  it('says that input_ids need a full CLIPModel folder', async () => {
    const visionOnly = join(root, 'vision-only');
    saveClipVision(visionOnly, vision, randomClipParams(vision, 1));
    const input = join(root, 'ids-only.safetensors');
    saveSafetensors(input, { input_ids: i64(ROWS) });
    await expect(
      forwardFile({ model: visionOnly, input, output: join(root, 'x.safetensors') }),
    ).rejects.toThrow(
      /config.json: model_type "clip_vision_model": the text tower needs a full CLIPModel config/,
    );
  });
});
