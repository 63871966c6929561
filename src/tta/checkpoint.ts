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

const STEP_FILE = /^step-(\d+)\.(json|safetensors)$/;

function removeSteps(dir: string, which: (step: number) => boolean): void {
  for (const f of readdirSync(dir)) {
    const m = STEP_FILE.exec(f);
    if (m && which(Number(m[1]))) rmSync(join(dir, f), { force: true });
  }
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
  const json = readJsonObject(jsonPath);
  const source = openSafetensors(join(dir, String(json.tensors)));
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
      step: Number(json.step),
      fingerprint: String(json.fingerprint),
      params,
      optimizer: { meta: json.optimizer as OptimizerState['meta'], tensors: optimizerTensors },
      samplers: json.samplers as Record<string, SamplerState>,
      lossCurve: json.loss_curve as StepRecord[],
    };
  } finally {
    source.close();
  }
}
