import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/data/random.js';
import type { DemoBudget } from '../../../src/demo/budget.js';
import {
  GENERALIZATION_METHODS,
  type GeneralizationOutcome,
  runGeneralization,
  splitTasks,
} from '../../../src/demo/experiments/generalization.js';
import type { DemoContext } from '../../../src/demo/run-row.js';
import type { DemoSuite } from '../../../src/demo/suite.js';
import type { ClipParams } from '../../../src/models/clip-vision/params.js';
import { REDUCED_TASKS, reducedSuite } from '../reduced-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-generalization-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const suite = reducedSuite(dir);

const TINY: DemoBudget = {
  ttaSteps: 3,
  ttaBatch: 4,
  schedule: 'cosine',
  wemoeLr: 1e-2,
  adamergingLr: 1e-2,
  evalBatch: 10,
};

function context(s: DemoSuite): DemoContext {
  return { suite: s, budget: TINY, seed: 7, threads: 1, progress: 'none', log: () => {} };
}

/** A very different encoder: the pre-trained one plus large noise. */
function standIn(params: ClipParams): ClipParams {
  const random = createRandom(99);
  return new Map(
    [...params].map(([name, t]) => [
      name,
      { ...t, data: Float32Array.from(t.data as Float32Array, (x) => x + 3 * random.normal()) },
    ]),
  );
}

/** The suite with task `task`'s expert replaced by a stand-in and its test images flipped in brightness. */
function withStandIn(task: string): DemoSuite {
  const experts = new Map(suite.experts);
  experts.set(task, standIn(suite.experts.get(task)!));
  const tasks = suite.tasks.map((t) =>
    t.task !== task
      ? t
      : {
          ...t,
          pixels: async (indices: readonly number[]) => {
            const p = await t.pixels(indices);
            return { ...p, data: (p.data as Float32Array).map((x) => -x) };
          },
        },
  );
  return { ...suite, experts, tasks };
}

const seenScores = (o: GeneralizationOutcome) =>
  o.results.map((r) => o.experiment.seen.map((t) => r.per_task[t]));

describe('generalization experiment', () => {
  let outcome: GeneralizationOutcome;

  it('merges on the seen tasks and scores seen, unseen and their averages for every method', async () => {
    outcome = await runGeneralization(context(suite), ['bright']);
    const { experiment, results } = outcome;
    expect(experiment.seen).toEqual(['dark', 'mid']);
    expect(experiment.unseen).toEqual(['bright']);
    expect(experiment.methods.map((m) => m.method)).toEqual(GENERALIZATION_METHODS);
    for (const [i, m] of experiment.methods.entries()) {
      expect(Object.keys(m.per_task)).toEqual(REDUCED_TASKS);
      const seenMean = (m.per_task.dark.accuracy + m.per_task.mid.accuracy) / 2;
      expect(m.seen_average.accuracy).toBeCloseTo(seenMean, 12);
      expect(m.unseen_average.accuracy).toBe(m.per_task.bright.accuracy);
      expect(m.unseen_average.loss).toBe(m.per_task.bright.loss);
      expect(results[i].per_task).toEqual(m.per_task);
    }
    // WEMoE has one router output per SEEN expert (depth 0: 2 layers × 2 experts) and routes all tasks.
    const depth0 = results.find((r) => r.method === 'wemoe_depth0')!;
    expect(depth0.model_info.trainable_params).toBe(4);
    expect(results.find((r) => r.method === 'wemoe_depth2')!.routing?.experts).toEqual(['dark', 'mid']);
    expect(results.find((r) => r.method === 'wemoe_depth2')!.routing?.tasks).toEqual(REDUCED_TASKS);
    const adamerging = results.find((r) => r.method === 'adamerging_layer')!;
    expect(Object.keys(adamerging.tta!.loss_curve[0].per_task!)).toEqual(['dark', 'mid']);
  }, 60_000);

  it('never lets the unseen expert or the unseen test images into merging or adaptation', async () => {
    const changed = await runGeneralization(context(withStandIn('bright')), ['bright']);
    expect(seenScores(changed)).toEqual(seenScores(outcome));
    // Control: the same stand-in on a SEEN task changes the seen scores of every method.
    const control = await runGeneralization(context(withStandIn('mid')), ['bright']);
    for (const [i, scores] of seenScores(control).entries())
      expect(scores[0].loss).not.toBeCloseTo(seenScores(outcome)[i][0].loss, 6);
  }, 90_000);

  it('rejects an unseen task that is not in the suite, and a split leaving fewer than two seen tasks', () => {
    expect(() => splitTasks(suite, ['nope'])).toThrow(
      /unseen task nope: not in the suite's tasks dark, mid, bright/,
    );
    expect(() => splitTasks(suite, ['dark', 'mid'])).toThrow(/at least one unseen and two seen tasks/);
    expect(() => splitTasks(suite, [])).toThrow(/at least one unseen/);
  });
});
