/**
 * The test-time adaptation loop shared by AdaMerging and WEMoE. Each step takes one shuffled batch of
 * unlabeled test images per task, sums the tasks' losses (gradients accumulated task by task, so one
 * task's batch is in memory at a time), and takes one Adam step with a cosine or constant learning rate.
 * Checkpoints make an interrupted run resumable with the same result as an uninterrupted one.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deriveSeed } from '../data/random.js';
import { WemoeError } from '../errors.js';
import { withFsError } from '../io/fs-error.js';
import { acquireLock, type Lock } from '../io/lock-file.js';
import { Adam } from '../optim/adam.js';
import { clipGradNorm } from '../optim/clip.js';
import { constantSchedule, cosineSchedule } from '../optim/schedule.js';
import type { Tensor } from '../tensor/tensor.js';
import { createProgress, type ProgressMode } from '../util/progress.js';
import {
  clearCheckpoints,
  LOCK_FILE,
  loadLatestCheckpoint,
  removeTempFiles,
  type StepRecord,
  saveCheckpoint,
  type TtaCheckpoint,
} from './checkpoint.js';
import type { TtaObjective } from './objective.js';
import { plateaued } from './plateau.js';
import { BatchSampler, type SamplerState } from './sampler.js';

/** The unlabeled test data of one task. */
export interface TtaTask {
  readonly name: string;
  readonly count: number;
  /** pixel_values [B, C, H, W] of the samples at `indices` (a parquet dataset reads them asynchronously). */
  pixels(indices: readonly number[]): Tensor | Promise<Tensor>;
}

export interface TtaOptions {
  readonly steps: number;
  readonly lr: number;
  readonly schedule: 'cosine' | 'constant';
  /** Images per task per step. */
  readonly batchSize: number;
  readonly seed: number;
  /** Clip the summed gradient to this global norm; off when absent. */
  readonly maxGradNorm?: number;
  /** End this run at this step (the schedule still spans `steps`); a later run with `resume` goes on. */
  readonly stopAt?: number;
  /** Stop when the loss (mean over `patience` steps) has not improved by minDelta for `patience` steps. */
  readonly earlyStop?: { readonly patience: number; readonly minDelta: number };
  /** Checkpoint folder and interval in steps; with `resume` the run continues from its newest checkpoint. */
  readonly checkpoint?: { readonly dir: string; readonly every: number };
  readonly resume?: boolean;
  /** JSON lines, one per step: {step, loss, per_task, lr}. */
  readonly logFile?: string;
  readonly progress?: ProgressMode;
  readonly label?: string;
  readonly log?: (line: string) => void;
}

export interface TtaResult {
  /** Steps completed in all (including those before a resume). */
  readonly steps: number;
  readonly lossCurve: readonly StepRecord[];
  readonly seconds: number;
  readonly resumedFrom?: number;
  readonly stoppedEarly: boolean;
}

function fingerprint(tasks: readonly TtaTask[], o: TtaOptions, objective: TtaObjective): string {
  const shapes = Object.entries(objective.params).map(([n, t]) => `${n}:${t.shape.join('x')}`);
  return JSON.stringify([
    tasks.map((t) => [t.name, t.count]),
    o.steps,
    o.lr,
    o.schedule,
    o.batchSize,
    o.seed,
    o.maxGradNorm ?? null,
    shapes,
    // Only when set, so that checkpoints of runs without multipliers keep their fingerprint.
    ...(objective.lrScale ? [objective.lrScale] : []),
  ]);
}

/** Adds `b` into `a` (float32, same names and sizes). */
function accumulate(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  for (const [n, t] of Object.entries(b)) {
    const x = a[n].data as Float32Array;
    const y = t.data as Float32Array;
    for (let i = 0; i < x.length; i++) x[i] += y[i];
  }
}

export async function runTta(
  tasks: readonly TtaTask[],
  objective: TtaObjective,
  options: TtaOptions,
): Promise<TtaResult> {
  if (tasks.length === 0) throw new WemoeError('test-time adaptation: no tasks');
  // One run per checkpoint folder: a second would interleave its checkpoints and loss log.
  const lock = options.checkpoint ? lockCheckpoints(options.checkpoint.dir) : undefined;
  try {
    return await adapt(tasks, objective, options);
  } finally {
    lock?.release();
  }
}

function lockCheckpoints(dir: string): Lock {
  withFsError(dir, 'create the checkpoint folder', () => mkdirSync(dir, { recursive: true }));
  const lock = acquireLock(join(dir, LOCK_FILE), dir);
  removeTempFiles(dir);
  return lock;
}

/** Refuses a checkpoint that cannot continue this run: past its end, or without a task's sampler. */
function checkResumable(saved: TtaCheckpoint, tasks: readonly TtaTask[], o: TtaOptions, dir: string): void {
  if (saved.step > o.steps)
    throw new WemoeError(`${dir}: the checkpoint is at step ${saved.step}, past this run's ${o.steps} steps`);
  for (const task of tasks) {
    const state = saved.samplers[task.name];
    if (state === undefined || state.offset > task.count)
      throw new WemoeError(
        `${dir}: the checkpoint has no valid sampler state for task ${task.name} (${task.count} samples)`,
      );
  }
}

async function adapt(
  tasks: readonly TtaTask[],
  objective: TtaObjective,
  options: TtaOptions,
): Promise<TtaResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const print = fingerprint(tasks, options, objective);
  const optimizer = new Adam(objective.params, { lr: options.lr, lrScale: objective.lrScale });
  const schedule =
    options.schedule === 'cosine'
      ? cosineSchedule({ lr: options.lr, steps: options.steps })
      : constantSchedule(options.lr);
  const makeSampler = (i: number, state?: SamplerState) =>
    new BatchSampler(tasks[i].count, options.batchSize, deriveSeed(options.seed, i), state);
  const samplers = new Map(tasks.map((t, i) => [t.name, makeSampler(i)]));
  const curve: StepRecord[] = [];
  let start = 0;
  const saved =
    options.resume && options.checkpoint ? loadLatestCheckpoint(options.checkpoint.dir) : undefined;
  if (saved) {
    if (saved.fingerprint !== print)
      throw new WemoeError(
        `${options.checkpoint!.dir}: the checkpoint belongs to a run with other tasks or settings; remove it or run without --resume`,
      );
    checkResumable(saved, tasks, options, options.checkpoint!.dir);
    for (const [n, t] of Object.entries(saved.params))
      (objective.params[n].data as Float32Array).set(t.data as Float32Array);
    optimizer.loadState(saved.optimizer);
    for (const [i, t] of tasks.entries()) samplers.set(t.name, makeSampler(i, saved.samplers[t.name]));
    curve.push(...saved.lossCurve);
    start = saved.step;
    log(`resumed from step ${start} (${options.checkpoint!.dir})`);
  }
  if (!saved && options.checkpoint) clearCheckpoints(options.checkpoint.dir);
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    // A resumed log restarts from the checkpoint's curve: steps logged after it are run again.
    const lines = curve.map((r) => `${JSON.stringify(r)}\n`).join('');
    withFsError(options.logFile, 'write the loss log', () => writeFileSync(options.logFile!, lines));
  }
  const progress = createProgress(options.progress ?? 'auto', options.label ?? 'adapt', options.steps, log);
  const began = performance.now();
  let stoppedEarly = false;
  let step = start;
  const end = Math.min(options.steps, options.stopAt ?? options.steps);
  while (step < end) {
    const lr = schedule(step);
    const perTask: Record<string, number> = {};
    let total: Record<string, Tensor> | undefined;
    for (const task of tasks) {
      const { loss, grads } = await objective.lossAndGrads(
        task.name,
        await task.pixels(samplers.get(task.name)!.next()),
      );
      perTask[task.name] = loss;
      if (total) accumulate(total, grads);
      else
        total = Object.fromEntries(
          Object.entries(grads).map(([n, t]) => [
            n,
            { ...t, data: Float32Array.from(t.data as Float32Array) },
          ]),
        );
    }
    if (options.maxGradNorm !== undefined) clipGradNorm(total!, options.maxGradNorm);
    optimizer.update(total!, lr);
    objective.afterStep?.();
    step++;
    const record: StepRecord = {
      step,
      loss: Object.values(perTask).reduce((a, b) => a + b, 0),
      per_task: perTask,
      lr,
    };
    curve.push(record);
    const logFile = options.logFile;
    if (logFile)
      withFsError(logFile, 'append to the loss log', () =>
        appendFileSync(logFile, `${JSON.stringify(record)}\n`),
      );
    const rate = (step - start) / ((performance.now() - began) / 1000);
    progress.update(step, `loss ${record.loss.toFixed(4)} · ${rate.toFixed(2)} steps/s`);
    const ckpt = options.checkpoint;
    if (ckpt && (step % ckpt.every === 0 || step === end)) {
      const samplerStates = Object.fromEntries([...samplers].map(([n, s]) => [n, s.current]));
      saveCheckpoint(ckpt.dir, {
        step,
        fingerprint: print,
        params: objective.params,
        optimizer: optimizer.state(),
        samplers: samplerStates,
        lossCurve: curve,
      });
    }
    if (options.earlyStop && plateaued(curve, options.earlyStop.patience, options.earlyStop.minDelta)) {
      stoppedEarly = true;
      break;
    }
  }
  progress.stop();
  if (stoppedEarly) log(`stopped early at step ${step}: the loss has plateaued`);
  return {
    steps: step,
    lossCurve: curve,
    seconds: (performance.now() - began) / 1000,
    resumedFrom: saved?.step,
    stoppedEarly,
  };
}
