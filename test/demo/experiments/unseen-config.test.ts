import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvalConfig } from '../../../src/config/eval-config.js';
import { parseMergeConfig } from '../../../src/config/merge-config.js';
import { runEval } from '../../../src/eval/run-eval.js';
import { loadTestTimeInputs } from '../../../src/methods/test-time-inputs.js';
import { writeReducedSuiteFiles } from '../reduced-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-unseen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeReducedSuiteFiles(dir);

const tasks = {
  dark: { data: 'dark.safetensors' },
  mid: { data: 'mid.safetensors' },
  bright: { data: 'bright.safetensors' },
};
const mergeDoc = {
  method: 'wemoe',
  models: { pretrained: 'pretrained', experts: { dark: 'expert-dark', mid: 'expert-mid' } },
  tasks,
  unseen_tasks: ['bright'],
  heads: 'heads.safetensors',
  output: 'pretrained',
};

describe('unseen_tasks in merge and eval configs', () => {
  it('keeps unseen tasks out of the test-time data: only the experts’ tasks are adapted on', async () => {
    const config = parseMergeConfig(mergeDoc, { baseDir: dir, source: 'm.yaml' });
    expect(config.unseen_tasks).toEqual(['bright']);
    const inputs = await loadTestTimeInputs(config, 'wemoe');
    expect(inputs.tasks.map((t) => t.name)).toEqual(['dark', 'mid']);
  });

  it('rejects an unseen task without data or with an expert, naming the file and key', () => {
    expect(() =>
      parseMergeConfig({ ...mergeDoc, unseen_tasks: ['nope'] }, { baseDir: dir, source: 'm.yaml' }),
    ).toThrow(/^m\.yaml: unseen_tasks: nope has no entry under tasks/);
    expect(() =>
      parseMergeConfig({ ...mergeDoc, unseen_tasks: ['mid'] }, { baseDir: dir, source: 'm.yaml' }),
    ).toThrow(/^m\.yaml: unseen_tasks: mid has an expert under models\.experts/);
    expect(() =>
      parseEvalConfig(
        { model: 'pretrained', heads: 'heads.safetensors', tasks, unseen_tasks: ['gone'] },
        { baseDir: dir, source: 'e.yaml' },
      ),
    ).toThrow(/^e\.yaml: unseen_tasks: gone has no entry under tasks/);
  });

  it('wemoe eval reports seen and unseen averages (eval config and merge config alike)', async () => {
    const fromMerge = parseEvalConfig(mergeDoc, { baseDir: dir, source: 'm.yaml' });
    expect(fromMerge.unseen_tasks).toEqual(['bright']);
    const config = parseEvalConfig(
      {
        model: 'pretrained',
        heads: 'heads.safetensors',
        tasks,
        unseen_tasks: ['bright'],
        output: 'eval-out',
      },
      { baseDir: dir },
    );
    const { report, table } = await runEval(config, { threads: 1, progress: 'none' });
    const g = report.experiments!.generalization!;
    expect(g.seen).toEqual(['dark', 'mid']);
    expect(g.unseen).toEqual(['bright']);
    const [m] = g.methods;
    const perTask = report.methods[0].per_task;
    expect(m.seen_average.accuracy).toBeCloseTo((perTask.dark.accuracy + perTask.mid.accuracy) / 2, 12);
    expect(m.seen_average.loss).toBeCloseTo((perTask.dark.loss + perTask.mid.loss) / 2, 12);
    expect(m.unseen_average).toEqual(perTask.bright);
    expect(table).toContain('Unseen avg.');
    const json = JSON.parse(readFileSync(join(dir, 'eval-out', 'report.json'), 'utf8'));
    expect(json.experiments.generalization.unseen).toEqual(['bright']);
  }, 30_000);

  it('needs at least one seen task to evaluate', async () => {
    const config = parseEvalConfig(
      { model: 'pretrained', heads: 'heads.safetensors', tasks: { mid: tasks.mid }, unseen_tasks: ['mid'] },
      { baseDir: dir, source: 'e.yaml' },
    );
    await expect(runEval(config, { threads: 1, progress: 'none' })).rejects.toThrow(
      /^e\.yaml: unseen_tasks: every task is unseen/,
    );
  });
});
