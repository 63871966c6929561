import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseMergeConfig } from '../../src/config/merge-config.js';
import { openCheckpoint, writeConfig } from '../../src/io/checkpoint.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { runMerge } from '../../src/methods/run-merge.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-run-merge-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const f32 = (shape: number[], values: number[]): Tensor => ({
  dtype: 'F32',
  shape,
  data: Float32Array.from(values),
});
const ids: Tensor = { dtype: 'I64', shape: [1, 3], data: BigInt64Array.from([0n, 1n, 2n]) };

/** A tiny HF folder: config.json + model.safetensors with w [2, 2], b [2] and integer ids. */
function writeModel(name: string, w: number[], b: number[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  saveSafetensors(join(dir, 'model.safetensors'), { w: f32([2, 2], w), b: f32([2], b), ids });
  writeConfig(dir, { model_type: 'clip_vision_model', hidden_size: 2 });
  return dir;
}

const pretrained = writeModel('pre', [1, 2, 3, 4], [0, 0]);
const experts = {
  mnist: writeModel('mnist', [2, 2, 5, 4], [1, -1]),
  svhn: writeModel('svhn', [1, 6, 1, 4], [1, 3]),
};
const headsFile = join(root, 'heads.safetensors');
saveSafetensors(headsFile, { 'mnist.weight': f32([1, 2], [1, 1]) }, { kind: 'linear' });

function config(output: string, extra: Record<string, unknown> = {}) {
  return parseMergeConfig({
    method: 'task_arithmetic',
    parameters: { scaling_factor: 0.5 },
    models: { pretrained, experts },
    heads: headsFile,
    output: join(root, output),
    ...extra,
  });
}

const quiet = { progress: 'none' as const, log: () => {} };

describe('runMerge', () => {
  it('writes the merged model, config.json, heads, resolved config, report and model card', async () => {
    const result = await runMerge(config('out-ta'), quiet);
    const out = join(root, 'out-ta');
    expect(result.output).toBe(out);
    expect(readdirSync(out).sort()).toEqual(
      [
        '.wemoe-output',
        'README.md',
        'config.json',
        'heads.safetensors',
        'merge_config.yaml',
        'model.safetensors',
        'report.json',
      ].sort(),
    );
    const merged = openCheckpoint(out);
    // τ_mnist = [1, 0, 2, 0 | 1, −1], τ_svhn = [0, 4, −2, 0 | 1, 3]; λ = 0.5.
    expect(Array.from(merged.readF32('w'))).toEqual([1.5, 4, 3, 4]);
    expect(Array.from(merged.readF32('b'))).toEqual([1, 1]);
    expect(merged.read('ids')).toEqual(ids);
    merged.close();
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual({
      model_type: 'clip_vision_model',
      hidden_size: 2,
    });
    expect(readFileSync(join(out, 'heads.safetensors'))).toEqual(readFileSync(headsFile));
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({
      method: 'task_arithmetic',
      parameters: { scaling_factor: 0.5 },
      model_info: { trainable_params: 0, all_params: 9 },
      tensors: { merged: 2, copied: 1, float_params: 6 },
      output_dtype: 'f32',
      passes: 0,
    });
    expect(Object.keys(report.timing)).toEqual(['check_s', 'observe_s', 'merge_s', 'total_s']);
    const resolved = parseYaml(readFileSync(join(out, 'merge_config.yaml'), 'utf8'));
    expect(resolved).toMatchObject({ method: 'task_arithmetic', output: out, models: { pretrained } });
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    const front = parseYaml(card.split('---\n')[1]);
    expect(front).toEqual({
      base_model: pretrained,
      tags: ['merge', 'wemoe'],
      merged_models: experts,
      merge_method: 'task_arithmetic',
      parameters: { scaling_factor: 0.5 },
    });
  });

  it('shards past max_shard_size, writes bf16, and replaces an earlier merge output', async () => {
    await runMerge(config('out-shards'), quiet);
    await runMerge(
      config('out-shards', { method: 'ties', parameters: {}, dtype: 'bf16', max_shard_size: 20 }),
      quiet,
    );
    const out = join(root, 'out-shards');
    const files = readdirSync(out).filter((f) => f.includes('safetensors') && f !== 'heads.safetensors');
    expect(files.sort()).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
    const merged = openCheckpoint(out);
    expect(merged.info('w').dtype).toBe('BF16');
    expect(merged.info('ids').dtype).toBe('I64');
    merged.close();
    expect(readdirSync(root).filter((f) => f.startsWith('.out-shards'))).toEqual([]);
  });

  it('dry run checks the models and prints the plan without writing', async () => {
    const lines: string[] = [];
    const result = await runMerge(config('out-dry'), { dryRun: true, log: (l) => lines.push(l) });
    expect(result.dryRun).toBe(true);
    expect(existsSync(join(root, 'out-dry'))).toBe(false);
    expect(lines).toEqual(result.plan);
    expect(lines[0]).toBe('method: task_arithmetic (static) {"scaling_factor":0.5}');
    expect(lines).toContain('tensors: 2 merged (6 parameters), 1 copied from the pretrained model');
  });

  it('refuses to overwrite a folder that is not a merge output, and leaves nothing on failure', async () => {
    const foreign = join(root, 'precious');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'keep me');
    await expect(runMerge(config('precious'), quiet)).rejects.toThrow(
      /precious: output folder exists and is not a wemoe merge output/,
    );
    expect(readdirSync(foreign)).toEqual(['notes.txt']);

    const bad = writeModel('bad', [1, 2, 3, Number.NaN], [0, 0]);
    const failing = config('out-failed', { models: { pretrained, experts: { ...experts, bad } } });
    await expect(runMerge(failing, quiet)).rejects.toThrow(
      "merge: tensor 'w': non-finite values in expert 'bad' (1 of 4)",
    );
    expect(readdirSync(root).filter((f) => f.includes('out-failed'))).toEqual([]);
  });

  it('reports missing models and heads with their paths', async () => {
    await expect(runMerge(config('x', { heads: join(root, 'nope.safetensors') }), quiet)).rejects.toThrow(
      /heads: .*nope\.safetensors is not a file/,
    );
    const missing = config('x', { models: { pretrained, experts: { gone: join(root, 'gone') } } });
    await expect(runMerge(missing, quiet)).rejects.toThrow(/gone: no such file or folder/);
  });
});
