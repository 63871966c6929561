import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORRUPTIONS } from '../../../src/data/corruptions/index.js';
import { defaultProcessorConfig } from '../../../src/data/preprocess/config.js';
import { readSuiteFile } from '../../../src/data/suite.js';
import type { DemoBudget } from '../../../src/demo/budget.js';
import {
  CLEAN,
  CONDITIONS,
  conditionImages,
  labeledFromUint8,
} from '../../../src/demo/experiments/corrupted-tasks.js';
import { ROBUSTNESS_METHODS, runRobustness } from '../../../src/demo/experiments/robustness.js';
import { runExperiments } from '../../../src/demo/experiments/run-experiments.js';
import { runDemo } from '../../../src/demo/run-demo.js';
import { reducedSuite } from '../reduced-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-robustness-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const suite = reducedSuite(dir);
const processor = defaultProcessorConfig(32);
const rawTestSet = (task: string) => readSuiteFile(join(dir, `${task}.safetensors`), task, 'test');

const TINY: DemoBudget = {
  ttaSteps: 2,
  ttaBatch: 4,
  schedule: 'cosine',
  wemoeLr: 1e-2,
  adamergingLr: 1e-2,
  evalBatch: 12,
  testLimit: 12,
};
const json0 = (out: string) => JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
const ctx = { suite, budget: TINY, seed: 7, threads: 1, progress: 'none' as const, log: () => {} };

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('corrupted test sets', () => {
  const raw = rawTestSet('mid');
  const clean = conditionImages(raw, CLEAN, 2, 1, 0);

  it('differ from the clean images for every corruption, with the same shape, and repeat for a seed', () => {
    expect(clean.data).toBe(raw.images);
    for (const name of CORRUPTIONS) {
      const corrupted = conditionImages(raw, name, 2, 1, 0);
      expect(corrupted.shape).toEqual([24, 3, 32, 32]);
      expect(meanAbsDiff(corrupted.data as Uint8Array, raw.images)).toBeGreaterThan(0.5);
      expect(conditionImages(raw, name, 2, 1, 0).data).toEqual(corrupted.data);
    }
  });

  it('reach the model as the corrupted pixels, normalised', async () => {
    const noisy = conditionImages(raw, 'gaussian_noise', 2, 1, 0);
    const pixels = await labeledFromUint8(raw, noisy, processor).pixels([3]);
    const plane = 32 * 32;
    const byte = (noisy.data as Uint8Array)[3 * 3 * plane + 5];
    const expected = (byte / 255 - processor.imageMean[0]) / processor.imageStd[0];
    expect(pixels.shape).toEqual([1, 3, 32, 32]);
    expect((pixels.data as Float32Array)[5]).toBeCloseTo(expected, 5);
  });
});

describe('robustness experiment', () => {
  it("adapts and evaluates every method on each condition's own test set (Table 5 layout)", async () => {
    const { experiment, cleanResults } = await runRobustness(ctx, {
      tasks: ['dark', 'bright'],
      rawTestSet,
      processor,
      limit: 12,
    });
    expect(experiment.tasks).toEqual(['dark', 'bright']);
    expect(experiment.severity).toBe(2);
    expect(experiment.methods.map((m) => m.method)).toEqual(ROBUSTNESS_METHODS);
    expect(experiment.conditions.map((c) => c.name)).toEqual(CONDITIONS);
    expect(cleanResults.map((r) => r.method)).toEqual(ROBUSTNESS_METHODS);
    const clean = experiment.conditions[0].results;
    for (const condition of experiment.conditions.slice(1)) {
      for (const id of ROBUSTNESS_METHODS) {
        const r = condition.results[id];
        expect(Object.keys(r.per_task)).toEqual(['dark', 'bright']);
        // Different test images: the mean cross-entropy changes with every corruption.
        expect(r.average.loss).not.toBeCloseTo(clean[id].average.loss, 6);
      }
    }
  }, 120_000);

  it('rejects a severity outside 1–5 and a task without an expert before running anything', async () => {
    await expect(runRobustness(ctx, { tasks: ['dark'], severity: 6, rawTestSet, processor })).rejects.toThrow(
      /robustness: severity 6: expected an integer 1–5/,
    );
    await expect(runRobustness(ctx, { tasks: ['nope'], rawTestSet, processor })).rejects.toThrow(
      /robustness: task nope: no expert/,
    );
  });
});

describe('runExperiments', () => {
  it('adds both experiments to the demo report in the same folder (JSON, Markdown, HTML)', async () => {
    const out = join(dir, 'report');
    await runDemo(suite, {
      out,
      budget: TINY,
      methods: ['ties'],
      progress: 'none',
      threads: 1,
      log: () => {},
    });
    const { tables } = await runExperiments(suite, {
      out,
      experiments: ['generalization', 'robustness'],
      budget: TINY,
      unseen: ['bright'],
      robustness: {
        tasks: ['dark', 'mid'],
        rawTestSet,
        processor,
        conditions: ['clean', 'jpeg_compression'],
      },
      progress: 'none',
      threads: 1,
      log: () => {},
    });
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(Object.keys(json.methods)).toEqual(['ties']);
    expect(json.experiments.generalization.unseen).toEqual(['bright']);
    expect(json.experiments.robustness.conditions.map((c: { name: string }) => c.name)).toEqual([
      'clean',
      'jpeg_compression',
    ]);
    const names = json.settings.changed_hyperparameters.map((c: { name: string }) => c.name);
    expect(names).toContain('robustness: wemoe.steps');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Generalization to unseen tasks');
    expect(md).toContain('## Robustness to corrupted test data (severity 2)');
    expect(tables).toMatch(/\| JPEG +\|/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('bright (unseen)');
    expect(html).toContain('JPEG');
  }, 60_000);

  it('writes a new report whose methods are the first experiment’s when the folder is empty', async () => {
    const out = join(dir, 'fresh');
    const { report } = await runExperiments(suite, {
      out,
      experiments: ['robustness'],
      budget: TINY,
      robustness: { tasks: ['dark', 'mid'], rawTestSet, processor, conditions: ['clean', 'contrast'] },
      progress: 'none',
      threads: 1,
      log: () => {},
    });
    expect(report.tasks).toEqual(['dark', 'mid']);
    expect(json0(out).experiments.robustness.severity).toBe(2);
    expect(report.methods.map((m) => m.method)).toEqual(ROBUSTNESS_METHODS);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.methods.wemoe_depth2.average.accuracy).toBe(
      report.experiments!.robustness!.conditions[0].results.wemoe_depth2.average.accuracy,
    );
  }, 60_000);
});
