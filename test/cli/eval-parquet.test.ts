import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '../../src/data/preprocess/config.js';
import { loadSuiteSplit } from '../../src/data/suite.js';
import { loadTaskData } from '../../src/data/task-data.js';
import { evaluateModel } from '../../src/eval/evaluate.js';
import { loadClipVision } from '../../src/models/clip-vision/checkpoint.js';
import { loadHeads } from '../../src/models/heads.js';
import { pngFromRgb, writeImageParquet } from '../data/parquet/fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-eval-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const models = resolve('assets/suite/models');
const COUNT = 40;

/** The suite's first mnist test images as a Hub-style parquet dataset: two shards, row groups of 7. */
function writeMnistParquet(root: string): void {
  const suite = loadSuiteSplit('mnist', 'test', { limit: COUNT });
  const side = 32;
  const plane = side * side;
  const samples = Array.from({ length: COUNT }, (_, k) => {
    const rgb = new Uint8Array(plane * 3);
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < plane; p++) rgb[p * 3 + c] = suite.images[(k * 3 + c) * plane + p];
    return { image: pngFromRgb(side, side, rgb), label: suite.labels[k] };
  });
  mkdirSync(join(root, 'data'), { recursive: true });
  for (const [i, part] of [samples.slice(0, 25), samples.slice(25)].entries())
    writeImageParquet(join(root, 'data', `test-0000${i}-of-00002.parquet`), part, {
      rowGroupSize: 7,
      classes: suite.classes,
    });
}

describe('wemoe eval on a parquet dataset', () => {
  it('gives the scores of the same images read from the suite', async () => {
    const data = join(dir, 'mnist');
    writeMnistParquet(data);
    const config = join(dir, 'eval.yaml');
    writeFileSync(
      config,
      [
        `model: ${join(models, 'expert-mnist')}`,
        `heads: ${join(models, 'heads.safetensors')}`,
        'tasks: {mnist: {data: mnist, split: test}}',
        'batch_size: 16',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'reports');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'eval', config, '--out', out, '--quiet'],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const expert = loadClipVision(join(models, 'expert-mnist'));
    const processor = defaultProcessorConfig(expert.config.imageSize);
    const expected = await evaluateModel(
      { kind: 'clip', config: expert.config, params: expert.params },
      loadHeads(join(models, 'heads.safetensors')),
      [loadTaskData('mnist', { data: 'suite:mnist', split: 'test' }, processor, { limit: COUNT })],
      { progress: 'none' },
    );
    expect(expected.perTask.mnist.accuracy).toBeGreaterThan(0.5); // the expert knows its task
    expect(report.methods.model.mnist.accuracy).toBe(expected.perTask.mnist.accuracy);
    expect(report.methods.model.mnist.loss).toBeCloseTo(expected.perTask.mnist.loss, 5);
  }, 60_000);
});
