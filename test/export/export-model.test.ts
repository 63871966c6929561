import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoProcessor, CLIPVisionModel, Tensor as HfTensor, RawImage } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { preprocess } from '../../src/data/preprocess/clip.js';
import { loadProcessorConfig, parseProcessorConfig } from '../../src/data/preprocess/config.js';
import { exportModelFolder, exportVisionModel } from '../../src/export/export-model.js';
import { ORT_WEB_FILES } from '../../src/export/web-page.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { loadClipVision } from '../../src/models/clip-vision/checkpoint.js';
import { forwardFile } from '../../src/models/forward-file.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';
import { config, maxAbsDiff, randomPixels, TASKS, writeFixture } from './fixtures.js';

const fixture = writeFixture();
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));
const pixels = randomPixels(3, 11);
const input = join(fixture.dir, 'pixels.safetensors');
saveSafetensors(input, { pixel_values: pixels });

/** `wemoe forward` on `pixels`, once per task (the file holds one task's logits). */
async function forward(model: string): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (const [task, output] of [
    ['digits', 'logits_digits'],
    ['house-digits', 'logits_house_digits'],
  ]) {
    const result = await forwardFile({
      model,
      input,
      output: join(fixture.dir, 'forward.safetensors'),
      heads: fixture.heads,
      task,
      threads: 1,
    });
    const { logits, ...rest } = result;
    Object.assign(out, rest, { [output]: logits });
  }
  return out;
}

async function runOrt(onnx: string, x: Tensor): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1 });
  const result = await session.run({
    pixel_values: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]),
  });
  await session.release();
  return result;
}

function expectClose(
  expected: Record<string, Tensor>,
  actual: Record<string, { data: unknown; dims: readonly number[] }>,
  tolerance: number,
) {
  for (const [name, t] of Object.entries(expected)) {
    expect(actual[name]?.dims, name).toEqual(t.shape);
    expect(maxAbsDiff(t.data as Float32Array, actual[name].data as Float32Array), name).toBeLessThan(
      tolerance,
    );
  }
}

describe('wemoe export', () => {
  for (const kind of ['clip', 'wemoe'] as const) {
    it(`exports a ${kind} model that onnxruntime-node runs exactly as wemoe forward`, async () => {
      const out = join(fixture.dir, `${kind}-f32`);
      const result = exportModelFolder(fixture[kind], { out, heads: fixture.heads });
      const expected = await forward(fixture[kind]);
      expect(result.outputs).toEqual(
        Object.keys(expected).sort((a, b) => result.outputs.indexOf(a) - result.outputs.indexOf(b)),
      );
      expect(Object.keys(expected).includes('routing_weights')).toBe(kind === 'wemoe');
      expectClose(expected, await runOrt(result.onnx, pixels), 1e-5);
      // Per-sample routing: the three images are routed differently.
      if (kind === 'wemoe') {
        const w = expected.routing_weights.data as Float32Array; // [L, B, T]
        expect(Math.abs(w[0] - w[2])).toBeGreaterThan(1e-3);
      }
    });
  }

  it('writes config.json and preprocessor_config.json as transformers.js and wemoe read them', () => {
    const out = join(fixture.dir, 'wemoe-f32');
    const json = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(json.model_type).toBe('clip_vision_model');
    expect(json.image_size).toBe(8);
    expect(json.wemoe.kind).toBe('wemoe');
    expect(json.wemoe.opset).toBe(18);
    expect(json.wemoe.tasks).toEqual([
      { name: 'digits', output: 'logits_digits', classes: [...TASKS.digits] },
      { name: 'house-digits', output: 'logits_house_digits', classes: [...TASKS['house-digits']] },
    ]);
    expect(json.wemoe.router).toMatchObject({
      experts: ['digits', 'house-digits'],
      router_depth: 2,
      layers: [0, 1],
    });
    expect(json.wemoe.outputs.routing_weights).toEqual([2, 'batch', 2]);
    const processorFile = join(out, 'preprocessor_config.json');
    const processor = JSON.parse(readFileSync(processorFile, 'utf8'));
    expect(processor).toMatchObject({
      image_processor_type: 'CLIPImageProcessor',
      do_resize: true,
      size: { shortest_edge: 8 },
      resample: 3,
      do_center_crop: true,
      crop_size: { height: 8, width: 8 },
      do_normalize: true,
    });
    expect(parseProcessorConfig(processor, processorFile)).toEqual(loadProcessorConfig(fixture.wemoe));
  });

  it('names the merge method of a merge output', () => {
    const merged = join(fixture.dir, 'merged');
    cpSync(fixture.clip, merged, { recursive: true });
    writeFileSync(
      join(merged, 'merge_config.yaml'),
      'method: task_arithmetic\nparameters:\n  scaling: 0.3\n',
    );
    const out = join(fixture.dir, 'merged-export');
    exportModelFolder(merged, { out });
    const json = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(json.wemoe.merge).toEqual({ method: 'task_arithmetic', parameters: { scaling: 0.3 } });
    expect(json.wemoe.tasks).toEqual([]);
  });

  it('stores f16 weights with float32 inputs and outputs, within 1e-2 of the f32 export', async () => {
    const f32 = join(fixture.dir, 'wemoe-f32');
    const out = join(fixture.dir, 'wemoe-f16');
    const result = exportModelFolder(fixture.wemoe, { out, heads: fixture.heads, dtype: 'f16' });
    const session = await ort.InferenceSession.create(result.onnx);
    expect(session.inputMetadata[0]).toMatchObject({ name: 'pixel_values', type: 'float32' });
    expect(session.outputMetadata.every((m) => 'type' in m && m.type === 'float32')).toBe(true);
    await session.release();
    const reference = await runOrt(join(f32, 'onnx', 'model.onnx'), pixels);
    const half = await runOrt(result.onnx, pixels);
    for (const name of Object.keys(reference)) {
      const diff = maxAbsDiff(reference[name].data as Float32Array, half[name].data as Float32Array);
      expect(diff, name).toBeLessThan(1e-2);
      expect(diff, name).toBeGreaterThan(0); // the weights did change
    }
    // Weights ≥ 1 KiB are stored in half the bytes (the tiny model's smaller ones stay float32).
    const full = exportModelFolder(fixture.wemoe, {
      out: join(fixture.dir, 'f32-again'),
      heads: fixture.heads,
    });
    expect(result.weightBytes).toBeLessThan(0.8 * full.weightBytes);
  });

  it('puts the weights in onnx/model.onnx_data above the inline limit', async () => {
    const out = join(fixture.dir, 'wemoe-external');
    const result = exportModelFolder(fixture.wemoe, { out, heads: fixture.heads, maxInlineBytes: 0 });
    expect(result.externalData).toBe(true);
    expect(existsSync(join(out, 'onnx', 'model.onnx_data'))).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(json['transformers.js_config'].use_external_data_format).toBe(true);
    const inline = await runOrt(join(fixture.dir, 'wemoe-f32', 'onnx', 'model.onnx'), pixels);
    const external = await runOrt(result.onnx, pixels);
    for (const name of Object.keys(inline))
      expect(maxAbsDiff(inline[name].data as Float32Array, external[name].data as Float32Array), name).toBe(
        0,
      );
  });

  it('adds image_embeds when the checkpoint has a visual projection', async () => {
    const { params } = loadClipVision(fixture.clip);
    const projection = float32(
      [4, 8],
      Array.from({ length: 32 }, (_, i) => Math.sin(i)),
    );
    const out = join(fixture.dir, 'projection');
    const result = exportVisionModel(
      { model: { kind: 'clip', config, params }, visualProjection: projection },
      { out },
    );
    const y = await runOrt(result.onnx, pixels);
    expect(y.image_embeds.dims).toEqual([3, 4]);
    const pooler = y.pooler_output.data as Float32Array;
    const embeds = y.image_embeds.data as Float32Array;
    for (let b = 0; b < 3; b++)
      for (let e = 0; e < 4; e++) {
        let dot = 0;
        for (let d = 0; d < 8; d++) dot += pooler[b * 8 + d] * (projection.data as Float32Array)[e * 8 + d];
        expect(embeds[b * 4 + e]).toBeCloseTo(dot, 5);
      }
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures).toEqual([
      'CLIPVisionModelWithProjection',
    ]);
  });

  it('runs from the command line, with --web', () => {
    const out = join(fixture.dir, 'cli');
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'export',
        fixture.wemoe,
        '--out',
        out,
        '--heads',
        fixture.heads,
        '--web',
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^.*onnx\/model\.onnx: last_hidden_state, pooler_output, routing_weights, logits_digits, logits_house_digits; 0\.0 MB of f32 weights; \d+\.\d s\nweb page: wemoe serve .*cli\n$/,
    );
    for (const file of [
      'index.html',
      'app.js',
      'preprocess.js',
      'style.css',
      ...ORT_WEB_FILES.map((f) => `ort/${f}`),
    ])
      expect(existsSync(join(out, file)), file).toBe(true);
    const bad = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'export', fixture.wemoe, '--out', out, '--dtype', 'f8'],
      { encoding: 'utf8' },
    );
    expect(bad.stderr).toBe('wemoe: export: --dtype f8: expected f32 or f16\n');
    expect(bad.status).toBe(1);
  });
});

describe('transformers.js', () => {
  it('loads the export as a local model; its outputs equal wemoe forward', async () => {
    const out = join(fixture.dir, 'wemoe-f32');
    const model = await CLIPVisionModel.from_pretrained(out, {
      local_files_only: true,
      model_file_name: 'model',
      dtype: 'fp32',
      device: 'cpu',
    });
    const y = await model({
      pixel_values: new HfTensor('float32', pixels.data as Float32Array, [...pixels.shape]),
    });
    expectClose(await forward(fixture.wemoe), y, 1e-4);
    await model.dispose();
  });

  it('loads an export whose weights are in onnx/model.onnx_data', async () => {
    const out = join(fixture.dir, 'wemoe-external-tjs');
    exportModelFolder(fixture.wemoe, { out, heads: fixture.heads, maxInlineBytes: 0 });
    const model = await CLIPVisionModel.from_pretrained(out, {
      local_files_only: true,
      model_file_name: 'model',
      dtype: 'fp32',
      device: 'cpu',
    });
    const y = await model({
      pixel_values: new HfTensor('float32', pixels.data as Float32Array, [...pixels.shape]),
    });
    expectClose(await forward(fixture.wemoe), y, 1e-4);
    await model.dispose();
  });

  it('crops and normalises a non-square image exactly as wemoe does', async () => {
    const processor = await AutoProcessor.from_pretrained(join(fixture.dir, 'wemoe-f32'), {
      local_files_only: true,
    });
    const ours = loadProcessorConfig(join(fixture.dir, 'wemoe-f32'));
    // The short side is the model's size, so the resize is the identity in both; the crop is not.
    for (const [w, h] of [
      [13, 8],
      [8, 21],
    ]) {
      const data = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + (i >> 4)) % 256);
      const { pixel_values } = await processor(new RawImage(new Uint8ClampedArray(data), w, h, 3));
      expect(pixel_values.dims).toEqual([1, 3, 8, 8]);
      expect(maxAbsDiff(preprocess({ width: w, height: h, data }, ours), pixel_values.data)).toBeLessThan(
        1e-6,
      );
    }
  });
});
