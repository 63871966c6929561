import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEvalConfig } from '../../src/config/eval-config.js';
import { loadMergeConfig } from '../../src/config/merge-config.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-root-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'merge.yaml');
writeFileSync(
  file,
  [
    'root: ../hf',
    'method: task_arithmetic',
    'models: {pretrained: openai/clip, experts: {mnist: tanganke/clip_mnist}}',
    'tasks: {mnist: {data: ylecun/mnist}, svhn: {data: suite:svhn}}',
    'heads: heads/ta8.safetensors',
    'output: outputs/ta',
    '',
  ].join('\n'),
);

describe('root: one place for every relative path', () => {
  it('resolves models, data, heads and output against root (itself relative to the file)', () => {
    const hf = resolve(dir, '../hf');
    const config = loadMergeConfig(file);
    expect(config.models).toEqual({
      pretrained: join(hf, 'openai/clip'),
      experts: { mnist: join(hf, 'tanganke/clip_mnist') },
    });
    expect(config.tasks?.mnist.data).toBe(join(hf, 'ylecun/mnist'));
    expect(config.tasks?.svhn.data).toBe('suite:svhn');
    expect(config.heads).toBe(join(hf, 'heads/ta8.safetensors'));
    expect(config.output).toBe(join(hf, 'outputs/ta'));
    expect('root' in config).toBe(false);
  });

  it('--set root=DIR (from the current folder) moves them all; absolute paths stay', () => {
    const config = loadMergeConfig(file, ['root=elsewhere', `models.experts.mnist=${join(dir, 'mine')}`]);
    expect(config.models.pretrained).toBe(resolve('elsewhere/openai/clip'));
    expect(config.models.experts.mnist).toBe(join(dir, 'mine'));
    expect(config.output).toBe(resolve('elsewhere/outputs/ta'));
  });

  it('applies to eval configs and to merge configs given to eval', () => {
    const evalFile = join(dir, 'eval.yaml');
    writeFileSync(
      evalFile,
      'root: data\nmodel: m\nheads: h.safetensors\ntasks: {mnist: {data: mnist}}\noutput: r\n',
    );
    const config = loadEvalConfig(evalFile);
    expect(config.model).toBe(join(dir, 'data/m'));
    expect(config.tasks.mnist.data).toBe(join(dir, 'data/mnist'));
    expect(config.output).toBe(join(dir, 'data/r'));
    expect(loadEvalConfig(file, ['root=/srv/hf']).model).toBe('/srv/hf/outputs/ta');
  });
});
