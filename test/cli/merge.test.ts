import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint, writeConfig } from '../../src/io/checkpoint.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { bf16BitsToF32 } from '../../src/tensor/f16.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-cli-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeModel(name: string, w: number[]): void {
  mkdirSync(join(dir, name));
  saveSafetensors(join(dir, name, 'model.safetensors'), {
    w: { dtype: 'F32', shape: [2], data: Float32Array.from(w) },
  });
  writeConfig(join(dir, name), { model_type: 'clip_vision_model' });
}
writeModel('pre', [1, 1]);
writeModel('a', [3, 1]);
writeModel('b', [1, -1]);

const config = join(dir, 'merge.yaml');
writeFileSync(
  config,
  [
    'method: task_arithmetic',
    'parameters: {scaling_factor: 0.5}',
    'models:',
    '  pretrained: pre',
    '  experts: {a: a, b: b}',
    'output: out',
    '',
  ].join('\n'),
);

function wemoe(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'merge', ...args], {
    encoding: 'utf8',
  });
}

describe('wemoe merge', () => {
  it('--dry-run prints the plan and writes nothing', () => {
    const run = wemoe(config, '--dry-run');
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('method: task_arithmetic (static) {"scaling_factor":0.5}');
    expect(run.stderr).toContain('tensors: 1 merged (2 parameters), 0 copied from the pretrained model');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('merges with --set and --dtype, with plain progress lines off a terminal', () => {
    const run = wemoe(config, '--set', 'parameters.scaling_factor=1', '--dtype', 'bf16');
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('merge 1/1 w');
    const merged = openCheckpoint(join(dir, 'out'));
    // w = [1, 1] + 1·([2, 0] + [0, −2]) = [3, −1]
    const w = merged.read('w');
    expect(w.dtype).toBe('BF16');
    expect(Array.from(w.data as Uint16Array, bf16BitsToF32)).toEqual([3, -1]);
    merged.close();
    expect(readFileSync(join(dir, 'out', 'merge_config.yaml'), 'utf8')).toContain('scaling_factor: 1');
  });

  it('--quiet prints nothing', () => {
    const run = wemoe(config, '--quiet', '--set', `output=${join(dir, 'quiet-out')}`);
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).toBe('');
  });

  it('fails with one line naming the file and the key', () => {
    const run = wemoe(config, '--set', 'parameters.scaling_factor=big');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^wemoe: ${config}: parameters\\.scaling_factor: [^\\n]*\\n$`));
    const dtype = wemoe(config, '--dtype', 'f64');
    expect(dtype.status).toBe(1);
    expect(dtype.stderr).toBe('wemoe: --dtype f64: expected one of f32, f16, bf16\n');
  });
});
