/**
 * A sanity run of the property the demo relies on (not a test): with a few test images per task, does
 * WEMoE's test-time adaptation (depth-2 routers, constant lr, batch 16) lift accuracy from task
 * arithmetic towards the experts' average? Usage: tsx scripts/suite-models/wemoe-sanity.ts
 * [--limit 100] [--steps 50] [--lr 1e-3,5e-3] [--models DIR]
 */
import { parseArgs } from 'node:util';
import { suiteTasks } from '../../src/data/suite.js';
import { loadSuiteModels } from '../../src/data/suite-models.js';
import { type EvalModel, evaluateModel } from '../../src/eval/evaluate.js';
import { adaptWemoe } from '../../src/merge/wemoe.js';
import { upscaleToWemoe } from '../../src/models/wemoe/model.js';
import { labeledTestImages } from './evaluate.js';
import { SEED, THREADS } from './settings.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      limit: { type: 'string' },
      steps: { type: 'string' },
      lr: { type: 'string' },
      models: { type: 'string' },
    },
  });
  const limit = Number(values.limit ?? 100);
  const steps = Number(values.steps ?? 50);
  const rates = (values.lr ?? '1e-3,5e-3').split(',').map(Number);
  const models = values.models === undefined ? loadSuiteModels() : loadSuiteModels(values.models);
  const tasks = suiteTasks().map((t) => labeledTestImages(t, limit));
  const quiet = { threads: THREADS, progress: 'none' as const };
  const average = (model: EvalModel) => evaluateModel(model, models.heads, tasks, quiet);
  const report = (label: string, perTask: Record<string, { accuracy: number }>) => {
    const accs = suiteTasks().map((t) => perTask[t].accuracy);
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    console.log(
      `${label.padEnd(28)} ${accs.map((a) => (100 * a).toFixed(0).padStart(6)).join('')}   avg ${(100 * mean).toFixed(1)}`,
    );
  };
  console.log(
    `${''.padEnd(28)} ${suiteTasks()
      .map((t) => t.slice(0, 5).padStart(6))
      .join('')}`,
  );
  const own: Record<string, { accuracy: number }> = {};
  for (const [task, params] of models.experts) {
    const ev = await evaluateModel(
      { kind: 'clip', config: models.config, params },
      models.heads,
      [tasks.find((t) => t.task === task)!],
      quiet,
    );
    own[task] = ev.perTask[task];
  }
  report('experts (own task)', own);
  for (const lr of rates) {
    const model = upscaleToWemoe(models.config, models.pretrained, models.experts, {
      routerDepth: 2,
      initLambda: 0.3,
      seed: SEED,
    });
    report('task arithmetic / WEMoE init', (await average({ kind: 'wemoe', model })).perTask);
    const began = performance.now();
    const ttaTasks = tasks.map((t) => ({ name: t.task, count: t.count, pixels: t.pixels }));
    const result = await adaptWemoe(model, models.heads, ttaTasks, {
      steps,
      lr,
      schedule: 'constant',
      batchSize: 16,
      seed: SEED,
      progress: 'none',
    });
    const first = result.lossCurve[0].loss;
    const last = result.lossCurve[result.lossCurve.length - 1].loss;
    report(`WEMoE d2 lr ${lr} (${steps} st)`, (await average({ kind: 'wemoe', model })).perTask);
    console.log(
      `  summed entropy ${first.toFixed(3)} → ${last.toFixed(3)}, ${((performance.now() - began) / 1000).toFixed(0)} s`,
    );
  }
}

await main();
