import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { float32, type Tensor } from '../../src/tensor/tensor.js';
import { runTta, type TtaOptions, type TtaTask } from '../../src/tta/loop.js';
import type { TtaObjective } from '../../src/tta/objective.js';
import { tempDir } from '../io/helpers.js';

const root = tempDir('tta-safety');

/** loss = Σ (w − mean pixel)² per task; `pause` ms per gradient lets two runs overlap. */
function quadratic(pause = 0): TtaObjective {
  const params = { w: float32([2], [0, 0]) };
  return {
    params,
    async lossAndGrads(_task, pixels) {
      if (pause > 0) await new Promise((r) => setTimeout(r, pause));
      const data = pixels.data as Float32Array;
      const mean = data.reduce((a, b) => a + b, 0) / data.length;
      const w = params.w.data as Float32Array;
      const loss = (w[0] - mean) ** 2 + (w[1] - mean) ** 2;
      return { loss, grads: { w: float32([2], [2 * (w[0] - mean), 2 * (w[1] - mean)]) } };
    },
  };
}

const tasks: TtaTask[] = ['a', 'b'].map((name, t) => ({
  name,
  count: 10,
  pixels: (indices: readonly number[]): Tensor =>
    float32(
      [indices.length],
      indices.map((i) => i + t),
    ),
}));

function options(dir: string, extra: Partial<TtaOptions> = {}): TtaOptions {
  return {
    steps: 10,
    lr: 0.1,
    schedule: 'cosine',
    batchSize: 3,
    seed: 1,
    checkpoint: { dir, every: 4 },
    logFile: join(dir, 'loss.jsonl'),
    progress: 'none',
    log: () => {},
    ...extra,
  };
}

function loggedSteps(dir: string): number[] {
  return readFileSync(join(dir, 'loss.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).step);
}

describe('test-time checkpoints under interruption and misuse', () => {
  it('a resume rewrites loss.jsonl from the checkpoint: no step is logged twice', async () => {
    const dir = join(root, 'log');
    // The state a kill after step 6 leaves: checkpoint at step 4, steps 1..6 in the log.
    await runTta(tasks, quadratic(), options(dir, { stopAt: 4 }));
    const step4 = ['step-4.json', 'step-4.safetensors'].map((f) => [f, readFileSync(join(dir, f))] as const);
    await runTta(tasks, quadratic(), options(dir, { stopAt: 6, resume: true }));
    for (const [f, bytes] of step4) writeFileSync(join(dir, f), bytes);
    for (const f of ['step-6.json', 'step-6.safetensors']) rmSync(join(dir, f));
    expect(loggedSteps(dir)).toEqual([1, 2, 3, 4, 5, 6]);
    const appended = readFileSync(join(dir, 'loss.jsonl'), 'utf8').split('\n').slice(0, 4).join('\n');
    const resumed = await runTta(tasks, quadratic(), options(dir, { resume: true }));
    expect(resumed.resumedFrom).toBe(4);
    expect(loggedSteps(dir)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(readFileSync(join(dir, 'loss.jsonl'), 'utf8').startsWith(appended)).toBe(true);
  });

  it('removes temporary files of interrupted writes and refuses a second run on the folder', async () => {
    const dir = join(root, 'two-runs');
    const first = runTta(tasks, quadratic(5), options(dir));
    await expect(runTta(tasks, quadratic(), options(dir))).rejects.toThrow(
      `${dir}: in use by another wemoe run (process ${process.pid}, lock file ${join(dir, '.lock')})`,
    );
    await first;
    writeFileSync(join(dir, 'step-12.safetensors.tmp-999999-abcd1234'), 'partial');
    await runTta(tasks, quadratic(), options(dir, { resume: true }));
    expect(readdirSync(dir).sort()).toEqual(['loss.jsonl', 'step-10.json', 'step-10.safetensors']);
  });

  it('refuses damaged checkpoints and ones that cannot continue this run, naming what is wrong', async () => {
    const dir = join(root, 'damaged');
    await runTta(tasks, quadratic(), options(dir, { stopAt: 4 }));
    const json = join(dir, 'step-4.json');
    const good = JSON.parse(readFileSync(json, 'utf8'));
    const resume = (extra: Partial<TtaOptions> = {}) =>
      runTta(tasks, quadratic(), options(dir, { resume: true, stopAt: 4, ...extra }));
    const cases: [Record<string, unknown>, string][] = [
      [{ optimizer: undefined }, `${json}: optimizer: expected an object with kind and step, got undefined`],
      [{ samplers: {} }, `${json}: samplers: expected the sampler state of every task, got {}`],
      [{ step: 3 }, `${json}: step: expected 4 (the step in the file name), got 3`],
      [{ loss_curve: [] }, `${json}: loss_curve: expected 4 step records, got []`],
      [
        { samplers: { a: { epoch: 0, offset: 2 } } },
        `${dir}: the checkpoint has no valid sampler state for task b (10 samples)`,
      ],
      [
        { samplers: { a: { epoch: 0, offset: 2 }, b: { epoch: 1, offset: 11 } } },
        `${dir}: the checkpoint has no valid sampler state for task b (10 samples)`,
      ],
    ];
    for (const [change, message] of cases) {
      writeFileSync(json, JSON.stringify({ ...good, ...change }));
      await expect(resume()).rejects.toThrow(message);
    }
    writeFileSync(json, JSON.stringify(good));
    // A run of 3 steps cannot continue a checkpoint at step 4; the fingerprint holds `steps`, so the
    // step check is reached only when the fingerprint is made to agree.
    await expect(resume({ steps: 3, stopAt: 3 })).rejects.toThrow('belongs to a run with other tasks');
    const short = JSON.parse(JSON.stringify(good));
    short.fingerprint = JSON.stringify([
      ...JSON.parse(good.fingerprint).slice(0, 1),
      3,
      ...JSON.parse(good.fingerprint).slice(2),
    ]);
    writeFileSync(json, JSON.stringify(short));
    await expect(resume({ steps: 3, stopAt: 3 })).rejects.toThrow(
      `${dir}: the checkpoint is at step 4, past this run's 3 steps`,
    );
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });
});
