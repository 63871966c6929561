import { beforeAll, describe, expect, it } from 'vitest';
import { adaptWemoe } from '../../src/adapt/wemoe.js';
import { constantParams } from '../../src/models/clip-vision/model.js';
import type { ClipParams } from '../../src/models/clip-vision/params.js';
import { wemoeForward } from '../../src/models/wemoe/graph.js';
import { upscaleToWemoe } from '../../src/models/wemoe/model.js';
import { taskArithmetic } from '../../src/tensor/task-arithmetic.js';
import {
  config,
  evaluate,
  fineTune,
  heads,
  plainPooler,
  pretrained,
  type Samples,
  samples,
  TASKS,
  ttaTask,
} from './synthetic.js';

describe('test-time adaptation on tasks told apart by their input', () => {
  const experts = new Map<string, ClipParams>();
  const test = new Map<string, Samples>(TASKS.map((t, i) => [t, samples(t, 200, 50 + i)]));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  beforeAll(async () => {
    for (const task of TASKS) experts.set(task, await fineTune(task, 120));
  });

  it('WEMoE routers trained by entropy minimisation beat task arithmetic', async () => {
    const ta: ClipParams = new Map();
    for (const [name, t] of pretrained) {
      const xs = TASKS.map((task) => experts.get(task)!.get(name)!.data as Float32Array);
      ta.set(name, { ...t, data: taskArithmetic(t.data as Float32Array, xs, 0.3) });
    }
    const expertAcc = mean(
      await Promise.all(
        TASKS.map(
          async (task) =>
            (
              await evaluate(
                plainPooler((g) => constantParams(g, experts.get(task)!)),
                task,
                test.get(task)!,
              )
            ).accuracy,
        ),
      ),
    );
    const taResults = await Promise.all(
      TASKS.map((task) =>
        evaluate(
          plainPooler((g) => constantParams(g, ta)),
          task,
          test.get(task)!,
        ),
      ),
    );

    const model = upscaleToWemoe(config, pretrained, experts, { routerDepth: 2, seed: 1 });
    const tasks = TASKS.map((t) => ttaTask(t, test.get(t)!));
    const result = await adaptWemoe(model, heads, tasks, {
      steps: 200,
      lr: 1e-2,
      lrReferenceWidth: null,
      schedule: 'cosine',
      batchSize: 16,
      seed: 3,
      progress: 'none',
    });
    const adapted = await Promise.all(
      TASKS.map((task) => evaluate((x) => wemoeForward(model, x).poolerOutput, task, test.get(task)!)),
    );

    const taAcc = mean(taResults.map((r) => r.accuracy));
    const wemoeAcc = mean(adapted.map((r) => r.accuracy));
    const firstLoss = mean(result.lossCurve.slice(0, 5).map((r) => r.loss));
    const lastLoss = mean(result.lossCurve.slice(-5).map((r) => r.loss));
    expect(expertAcc).toBeGreaterThan(0.8);
    expect(lastLoss).toBeLessThan(0.7 * firstLoss);
    expect(mean(adapted.map((r) => r.entropy))).toBeLessThan(mean(taResults.map((r) => r.entropy)));
    expect(wemoeAcc).toBeGreaterThan(taAcc + 0.03);
  });

  it('moves the router weight matrices lr × 768 / width per first Adam step, the biases lr', async () => {
    const model = upscaleToWemoe(config, pretrained, experts, { routerDepth: 2, seed: 1 });
    const before = new Map(
      [...model.routers].map(([n, t]) => [n, Float32Array.from(t.data as Float32Array)]),
    );
    const tasks = TASKS.map((t) => ttaTask(t, test.get(t)!));
    await adaptWemoe(model, heads, tasks, {
      steps: 1,
      lr: 1e-4,
      schedule: 'constant',
      batchSize: 16,
      seed: 3,
      progress: 'none',
    });
    for (const [name, t] of model.routers) {
      // Adam's first step moves every entry with a non-zero gradient by its lr (|m/√v| = 1).
      const steps = [...(t.data as Float32Array)].map((w, i) => Math.abs(w - before.get(name)![i]));
      const lr = t.shape.length === 2 ? 1e-4 * (768 / config.hiddenSize) : 1e-4;
      expect(Math.max(...steps), name).toBeCloseTo(lr, 6);
    }
  });
});
