/**
 * AdaMerging (Yang et al., "AdaMerging: Adaptive Model Merging for Multi-Task Learning", ICLR 2024):
 * θ = θ0 + Σt λt·τt with one λ per task (task-wise) or one per task per parameter tensor (layer-wise),
 * the λ learned at test time by entropy minimisation. The merge is built inside the graph so that the
 * gradients reach λ.
 */
import { WemoeError } from '../../errors.js';
import { clamp } from '../../graph/functional.js';
import type { Graph, Value } from '../../graph/graph.js';
import { numel, type Tensor } from '../../tensor/tensor.js';
import type { ClipVisionConfig } from '../clip-vision/config.js';
import type { ParamLookup } from '../clip-vision/model.js';
import { type ClipParams, clipParamShapes } from '../clip-vision/params.js';

export type Granularity = 'task' | 'layer';

/** The merge of any model's parameters (CLIP's, T5's): what the graph and host merges need. */
export interface AdaMergingMerge {
  readonly tasks: readonly string[];
  readonly granularity: Granularity;
  /** Parameter names in the order of the rows of a layer-wise λ. */
  readonly names: readonly string[];
  readonly pretrained: ReadonlyMap<string, Tensor>;
  /** Per parameter: the task vectors stacked, [T, numel]. */
  readonly taskVectors: ReadonlyMap<string, Tensor>;
  /** [1, T] (task-wise) or [P, T] (layer-wise). */
  lambdas: Tensor;
  /** Each λ enters the merge clamped to [0, 1] (the AdaMerging authors' forward); otherwise as it is. */
  readonly clampInMerge: boolean;
}

export interface AdaMergingModel extends AdaMergingMerge {
  readonly clip: ClipVisionConfig;
}

export interface AdaMergingOptions {
  readonly granularity: Granularity;
  /** The initial λ of every task (default 0.3). */
  readonly init?: number;
  /** Clamp λ to [0, 1] inside the merge (default false). */
  readonly clampInMerge?: boolean;
}

export function createAdaMerging(
  clip: ClipVisionConfig,
  pretrained: ClipParams,
  experts: ReadonlyMap<string, ClipParams>,
  options: AdaMergingOptions,
): AdaMergingModel {
  return { clip, ...createAdaMergingOf([...clipParamShapes(clip).keys()], pretrained, experts, options) };
}

/** The AdaMerging merge of the parameters `names` (in λ-row order) of any model. */
export function createAdaMergingOf(
  names: readonly string[],
  pretrained: ReadonlyMap<string, Tensor>,
  experts: ReadonlyMap<string, ReadonlyMap<string, Tensor>>,
  { granularity, init = 0.3, clampInMerge = false }: AdaMergingOptions,
): AdaMergingMerge {
  const tasks = [...experts.keys()];
  // Each expert taken once: a map may read it from its checkpoint on every get.
  const expertParams = tasks.map((task) => experts.get(task)!);
  const taskVectors = new Map<string, Tensor>();
  for (const name of names) {
    const base = pretrained.get(name)?.data as Float32Array | undefined;
    if (!base) throw new WemoeError(`adamerging: the pre-trained model has no parameter ${name}`);
    const n = base.length;
    const stacked = new Float32Array(n * tasks.length);
    tasks.forEach((task, t) => {
      const x = expertParams[t].get(name)?.data as Float32Array | undefined;
      if (!x) throw new WemoeError(`adamerging: expert ${task} has no parameter ${name}`);
      for (let i = 0; i < n; i++) stacked[t * n + i] = x[i] - base[i];
    });
    taskVectors.set(name, { dtype: 'F32', shape: [tasks.length, n], data: stacked });
  }
  const rows = granularity === 'task' ? 1 : names.length;
  const lambdas: Tensor = {
    dtype: 'F32',
    shape: [rows, tasks.length],
    data: new Float32Array(rows * tasks.length).fill(init),
  };
  return { tasks, granularity, names, pretrained, taskVectors, lambdas, clampInMerge };
}

/** Encoder parameters θ0 + λ·τ as graph values, from a λ value [rows, T] (an input when trained). */
export function mergedParamLookup(graph: Graph, model: AdaMergingMerge, lambdas: Value): ParamLookup {
  const merged = model.clampInMerge ? clamp(lambdas, 0, 1) : lambdas;
  const row = new Map(model.names.map((n, i) => [n, model.granularity === 'task' ? 0 : i]));
  const made = new Map<string, Value>();
  return (name) => {
    let value = made.get(name);
    if (value) return value;
    const r = row.get(name);
    if (r === undefined) throw new WemoeError(`adamerging: the model has no parameter ${name}`);
    const base = model.pretrained.get(name)!;
    const tv = graph.constant(model.taskVectors.get(name)!, `task_vectors.${name}`); // [T, n]
    const delta = merged
      .slice(0, r, r + 1)
      .matmul(tv)
      .reshape([...base.shape]); // shape of θ
    value = graph.constant(base, name).add(delta);
    made.set(name, value);
    return value;
  };
}

/** The λ that enter the merge, [rows, T] row-major: clamped to [0, 1] when the model clamps in the merge. */
export function mergeCoefficients(model: AdaMergingMerge): Float32Array {
  const lam = model.lambdas.data as Float32Array;
  return model.clampInMerge ? lam.map((l) => Math.min(1, Math.max(0, l))) : lam;
}

/** The merged parameters θ0 + λ·τ on the host (for saving and plain evaluation). */
export function mergedParams(model: AdaMergingMerge): ClipParams {
  const out: ClipParams = new Map();
  const t = model.tasks.length;
  const lam = mergeCoefficients(model);
  model.names.forEach((name, p) => {
    const base = model.pretrained.get(name)!;
    const n = numel(base.shape);
    const tv = model.taskVectors.get(name)!.data as Float32Array;
    const data = Float32Array.from(base.data as Float32Array);
    const r = model.granularity === 'task' ? 0 : p;
    for (let k = 0; k < t; k++) {
      const l = lam[r * t + k];
      for (let i = 0; i < n; i++) data[i] += l * tv[k * n + i];
    }
    out.set(name, { dtype: 'F32', shape: base.shape, data });
  });
  return out;
}
