import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { saveClipVision } from '../../src/models/clip-vision/checkpoint.js';
import { parseClipVisionConfig } from '../../src/models/clip-vision/config.js';
import { normalSampler, randomClipParams } from '../../src/models/clip-vision/params.js';
import { ClipVisionRunner } from '../../src/models/clip-vision/runner.js';
import { forwardFile } from '../../src/models/forward-file.js';
import { saveHeads } from '../../src/models/heads.js';
import { saveWemoe } from '../../src/models/wemoe/checkpoint.js';
import { upscaleToWemoe } from '../../src/models/wemoe/model.js';
import { float32 } from '../../src/tensor/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-forward-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = parseClipVisionConfig({
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  image_size: 4,
  patch_size: 2,
});
const params = randomClipParams(config, 1);
const normal = normalSampler(2);
const pixels = float32([2, 3, 4, 4], Array.from({ length: 96 }, normal));
const model = join(dir, 'model');
const input = join(dir, 'x.safetensors');
const headsFile = join(dir, 'heads.safetensors');
saveClipVision(model, config, params);
saveSafetensors(input, { pixel_values: pixels });
saveHeads(headsFile, {
  kind: 'linear',
  tasks: new Map([
    ['digits', { weight: float32([3, 8], Array.from({ length: 24 }, normal)), classes: ['0', '1', '2'] }],
  ]),
});

function wemoe(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'forward', ...args], {
    encoding: 'utf8',
  });
}

function readOutputs(file: string): Record<string, { shape: readonly number[]; data: Float32Array }> {
  const source = openSafetensors(file);
  const out = Object.fromEntries(
    source.names().map((n) => [n, { shape: source.info(n).shape, data: source.readF32(n) }]),
  );
  source.close();
  return out;
}

describe('wemoe forward', () => {
  it('writes pooler_output, last_hidden_state and the task logits', async () => {
    const output = join(dir, 'y.safetensors');
    const run = wemoe(
      '--model',
      model,
      '--input',
      input,
      '--output',
      output,
      '--heads',
      headsFile,
      '--task',
      'digits',
      '--threads',
      '1',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${output}: pooler_output [2, 8], last_hidden_state [2, 5, 8], logits [2, 3]\n`);
    const y = readOutputs(output);
    const runner = ClipVisionRunner.create({ config, params }, { threads: 1 });
    const want = await runner.forward(pixels);
    expect(Array.from(y.pooler_output.data)).toEqual(Array.from(want.pooler_output.data as Float32Array));
    expect(y.last_hidden_state.shape).toEqual([2, 5, 8]);
    expect(y.logits.shape).toEqual([2, 3]);
    await runner.dispose();
  });

  it("adds routing_weights [L, B, T] for a WEMoE folder (and the attention routers' when upscaled)", () => {
    const experts = new Map([
      ['a', randomClipParams(config, 7)],
      ['b', randomClipParams(config, 8)],
    ]);
    const moe = join(dir, 'wemoe');
    saveWemoe(
      moe,
      upscaleToWemoe(config, params, experts, { seed: 3, upscaledModules: ['mlp', 'self_attn'] }),
    );
    const output = join(dir, 'moe.safetensors');
    const run = wemoe('--model', moe, '--input', input, '--output', output, '--threads', '1');
    expect(run.stderr).toBe('');
    const y = readOutputs(output);
    expect(y.routing_weights.shape).toEqual([2, 2, 2]);
    // Routers start at λ = 0.3 with N(0, 0.01²) weights: every routing weight is near 0.3.
    for (const w of y.routing_weights.data) expect(Math.abs(w - 0.3)).toBeLessThan(0.1);
    expect(y.attention_routing_weights.shape).toEqual([2, 2, 2]);
    for (const w of y.attention_routing_weights.data) expect(Math.abs(w - 0.3)).toBeLessThan(0.1);
    expect(y.pooler_output.shape).toEqual([2, 8]);
  });

  it('fails with one line naming what is wrong', async () => {
    const output = join(dir, 'bad.safetensors');
    const noTask = wemoe('--model', model, '--input', input, '--output', output, '--heads', headsFile);
    expect(noTask.status).toBe(1);
    expect(noTask.stderr).toBe(
      'wemoe: forward: --heads and --task go together (the task names one head in the heads file)\n',
    );
    const call = (extra: object) => forwardFile({ model, input, output, threads: 1, ...extra });
    await expect(call({ heads: headsFile, task: 'x' })).rejects.toThrow(
      /^heads: no head for task "x"; tasks: digits$/,
    );
    const badPixels = join(dir, 'bad-x.safetensors');
    saveSafetensors(badPixels, { pixel_values: float32([1, 3, 5, 5]) });
    await expect(call({ input: badPixels })).rejects.toThrow(
      /^pixel_values: expected F32 \[B, 3, 4, 4\], got F32 \[1, 3, 5, 5\]$/,
    );
    await expect(call({ input: headsFile })).rejects.toThrow(
      `${headsFile}: no tensor pixel_values (expected [B, C, H, W] F32)`,
    );
  });

  it('refuses pixel_values that are not F32, hold non-finite values, or would be overwritten', async () => {
    const output = join(dir, 'checked.safetensors');
    const call = (file: string, out = output) => forwardFile({ model, input: file, output: out, threads: 1 });
    const raw = [
      { dtype: 'U8', shape: [1, 3, 4, 4], data: new Uint8Array(48).fill(200) },
      { dtype: 'I64', shape: [1, 3, 4, 4], data: new BigInt64Array(48) },
      { dtype: 'BOOL', shape: [1, 3, 4, 4], data: new Uint8Array(48) },
    ] as const;
    for (const t of raw) {
      const file = join(dir, `raw-${t.dtype}.safetensors`);
      saveSafetensors(file, { pixel_values: t });
      await expect(call(file)).rejects.toThrow(
        `${file}: pixel_values is ${t.dtype}, expected F32 pixels already normalised by the model's processor (mean and std)`,
      );
    }
    for (const [value, element] of [
      [Number.NaN, 17],
      [Number.POSITIVE_INFINITY, 47],
    ] as const) {
      const values = Array.from({ length: 96 }, normal);
      values[48 + element] = value; // image 1
      const file = join(dir, 'non-finite.safetensors');
      saveSafetensors(file, { pixel_values: float32([2, 3, 4, 4], values) });
      await expect(call(file)).rejects.toThrow(
        `${file}: pixel_values image 1 holds a non-finite value (${value}) at element ${element}`,
      );
    }
    const before = readOutputs(input).pixel_values.data;
    await expect(call(input, input)).rejects.toThrow(
      `forward: --output ${input} is the --input file; choose another output`,
    );
    expect(readOutputs(input).pixel_values.data).toEqual(before);
    const underFile = join(input, 'out.safetensors');
    const run = wemoe('--model', model, '--input', input, '--output', underFile);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `wemoe: ${underFile}: cannot write the output file: ${input} is a file, not a folder\n`,
    );
  });
});
