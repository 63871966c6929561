/**
 * Test-time adaptation checkpoints: `step-<n>.safetensors` (trained parameters and optimizer buffers)
 * then `step-<n>.json` (everything else), each written to a temporary file and renamed. The JSON is
 * written last and names its tensor file, so a run killed at any moment leaves the previous checkpoint
 * intact and the newest complete one is the one with the highest step whose JSON exists.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WemoeError } from '../errors.js';
import { readJsonObject, writeJsonAtomic } from '../io/json-file.js';
import { isPlainObject, quote } from '../io/safetensors-header.js';
import { openSafetensors } from '../io/safetensors-reader.js';
import { saveSafetensors } from '../io/safetensors-writer.js';
import type { OptimizerState } from '../optim/state.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SamplerState } from './sampler.js';

export interface StepRecord {
  readonly step: number;
  /** Σ over tasks of the mean entropy. */
  readonly loss: number;
  readonly per_task: Readonly<Record<string, number>>;
  readonly lr: number;
}

export interface TtaCheckpoint {
  /** Steps completed. */
  readonly step: number;
  /** What the run was started with; a resume must match it. */
  readonly fingerprint: string;
  readonly params: Record<string, Tensor>;
  readonly optimizer: OptimizerState;
  readonly samplers: Readonly<Record<string, SamplerState>>;
  readonly lossCurve: readonly StepRecord[];
}

/** Held by the run writing the folder (see io/lock-file). */
export const LOCK_FILE = '.lock';

const JSON_NAME = /^step-(\d+)\.json$/;

export function saveCheckpoint(dir: string, ckpt: TtaCheckpoint): void {
  mkdirSync(dir, { recursive: true });
  const tensorsFile = `step-${ckpt.step}.safetensors`;
  const tensors: Record<string, Tensor> = {};
  for (const [n, t] of Object.entries(ckpt.params)) tensors[`param.${n}`] = t;
  for (const [n, t] of Object.entries(ckpt.optimizer.tensors)) tensors[`optimizer.${n}`] = t;
  saveSafetensors(join(dir, tensorsFile), tensors);
  writeJsonAtomic(join(dir, `step-${ckpt.step}.json`), {
    step: ckpt.step,
    fingerprint: ckpt.fingerprint,
    tensors: tensorsFile,
    optimizer: ckpt.optimizer.meta,
    samplers: ckpt.samplers,
    loss_curve: ckpt.lossCurve,
  });
  removeSteps(dir, (step) => step < ckpt.step);
}

interface CheckpointJson {
  readonly step: number;
  readonly fingerprint: string;
  readonly tensors: string;
  readonly optimizer: OptimizerState['meta'];
  readonly samplers: Record<string, SamplerState>;
  readonly loss_curve: StepRecord[];
}

/** The fields a resume relies on, each checked, so that a damaged checkpoint is refused by name. */
function checkJson(path: string, json: Record<string, unknown>, fileStep: number): CheckpointJson {
  const fail = (key: string, expected: string) =>
    new WemoeError(`${path}: ${key}: expected ${expected}, got ${quote(json[key])}`);
  const { step, fingerprint, tensors, optimizer, samplers, loss_curve: curve } = json;
  if (step !== fileStep) throw fail('step', `${fileStep} (the step in the file name)`);
  if (typeof fingerprint !== 'string') throw fail('fingerprint', 'a string');
  if (tensors !== `step-${fileStep}.safetensors`) throw fail('tensors', `"step-${fileStep}.safetensors"`);
  if (!isPlainObject(optimizer) || typeof optimizer.kind !== 'string' || !isCount(optimizer.step))
    throw fail('optimizer', 'an object with kind and step');
  if (!isPlainObject(samplers) || Object.keys(samplers).length === 0)
    throw fail('samplers', 'the sampler state of every task');
  for (const [task, state] of Object.entries(samplers)) {
    if (!isPlainObject(state) || !isCount(state.epoch) || !isCount(state.offset))
      throw new WemoeError(`${path}: samplers.${task}: expected {epoch, offset} counts, got ${quote(state)}`);
  }
  if (!Array.isArray(curve) || curve.length !== step) throw fail('loss_curve', `${step} step records`);
  return json as unknown as CheckpointJson;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

const STEP_FILE = /^step-(\d+)\.(json|safetensors)$/;

function removeSteps(dir: string, which: (step: number) => boolean): void {
  for (const f of readdirSync(dir)) {
    const m = STEP_FILE.exec(f);
    if (m && which(Number(m[1]))) rmSync(join(dir, f), { force: true });
  }
}

const TEMP_FILE = /\.tmp-\d+-[a-z0-9]+$/;

/** Removes the temporary files of interrupted writes (call only while holding the folder's lock). */
export function removeTempFiles(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (TEMP_FILE.test(f)) rmSync(join(dir, f), { force: true });
}

/** Removes every checkpoint in `dir` (a fresh run must not be resumable into an older one). */
export function clearCheckpoints(dir: string): void {
  if (existsSync(dir)) removeSteps(dir, () => true);
}

/** The newest complete checkpoint in `dir`, or undefined when there is none. */
export function loadLatestCheckpoint(dir: string): TtaCheckpoint | undefined {
  if (!existsSync(dir)) return undefined;
  const steps = readdirSync(dir)
    .map((f) => JSON_NAME.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  if (steps.length === 0) return undefined;
  const jsonPath = join(dir, `step-${steps[0]}.json`);
  const json = checkJson(jsonPath, readJsonObject(jsonPath), steps[0]);
  const source = openSafetensors(join(dir, json.tensors));
  try {
    const params: Record<string, Tensor> = {};
    const optimizerTensors: Record<string, Tensor> = {};
    for (const name of source.names()) {
      const t: Tensor = { dtype: 'F32', shape: source.info(name).shape, data: source.readF32(name) };
      if (name.startsWith('param.')) params[name.slice(6)] = t;
      else if (name.startsWith('optimizer.')) optimizerTensors[name.slice(10)] = t;
      else throw new WemoeError(`${source.path}: unexpected tensor ${name} in a test-time checkpoint`);
    }
    return {
      step: json.step,
      fingerprint: json.fingerprint,
      params,
      optimizer: { meta: json.optimizer, tensors: optimizerTensors },
      samplers: json.samplers,
      lossCurve: json.loss_curve,
    };
  } finally {
    source.close();
  }
}
