/**
 * A Weight-Ensembling MoE model in memory (Tang et al., "Merging Multi-Task Models via Weight-Ensembling
 * Mixture of Experts", ICML 2024): a task-arithmetic merged CLIP encoder whose upscaled MLPs keep the
 * pre-trained MLP, the experts' frozen task vectors and a trainable router.
 */

import { createRandom } from '../../data/random.js';
import { WemoeError } from '../../errors.js';
import { taskArithmetic } from '../../merge/task-arithmetic.js';
import { numel, type Tensor } from '../../tensor/tensor.js';
import type { ClipVisionConfig } from '../clip-vision/config.js';
import type { ClipParams } from '../clip-vision/params.js';
import type { RouterDepth, WemoeConfig } from './config.js';
import { MLP_PARTS, type MlpPart, mlpPrefix, routerShapes } from './names.js';

export interface WemoeLayer {
  /** The pre-trained MLP, by part. */
  readonly base: Readonly<Record<MlpPart, Tensor>>;
  /** Task vectors stacked by part: [T, ...shape of the part]. */
  readonly taskVectors: Readonly<Record<MlpPart, Tensor>>;
}

export interface WemoeModel {
  readonly clip: ClipVisionConfig;
  readonly wemoe: WemoeConfig;
  /** Every encoder parameter outside the upscaled MLPs (task-arithmetic merged), by canonical name. */
  readonly shared: ClipParams;
  readonly layers: ReadonlyMap<number, WemoeLayer>;
  /** The trainable router parameters, by checkpoint name. */
  readonly routers: Map<string, Tensor>;
}

export interface UpscaleOptions {
  readonly routerDepth?: RouterDepth;
  readonly initLambda?: number;
  readonly batchReduce?: boolean;
  /** Default: every layer. */
  readonly upscaledLayers?: readonly number[];
  /** Seed of the routers' random init. */
  readonly seed?: number;
}

/** Whether `name` is a parameter of an upscaled layer's MLP. */
function upscaledMlpPart(name: string, layers: readonly number[]): boolean {
  return layers.some((l) => name.startsWith(mlpPrefix(l)));
}

function stackTaskVectors(pretrained: Tensor, experts: readonly Tensor[]): Tensor {
  const n = pretrained.data.length;
  const out = new Float32Array(n * experts.length);
  const base = pretrained.data as Float32Array;
  experts.forEach((e, t) => {
    const x = e.data as Float32Array;
    for (let i = 0; i < n; i++) out[t * n + i] = x[i] - base[i];
  });
  return { dtype: 'F32', shape: [experts.length, ...pretrained.shape], data: out };
}

/** The router parameter whose value is the initial routing weight (depth 0: the only one). */
const OUTPUT_BIAS = /gate\.(weight|fc\.bias|fc2\.bias)$/;

/** Router init of the paper: weights ~ N(0, 0.01²), hidden bias 0, output bias (or depth-0 weight) λ. */
export function initRouters(clip: ClipVisionConfig, wemoe: WemoeConfig, seed: number): Map<string, Tensor> {
  const random = createRandom(seed);
  const routers = new Map<string, Tensor>();
  const t = wemoe.experts.length;
  for (const layer of wemoe.upscaledLayers) {
    for (const [name, shape] of routerShapes(layer, wemoe.routerDepth, clip.hiddenSize, t)) {
      const data = new Float32Array(numel(shape));
      if (OUTPUT_BIAS.test(name)) data.fill(wemoe.initLambda);
      else if (shape.length === 2) for (let i = 0; i < data.length; i++) data[i] = 0.01 * random.normal();
      routers.set(name, { dtype: 'F32', shape, data });
    }
  }
  return routers;
}

/** Builds a WEMoE model from the pre-trained encoder and the experts (same config, `experts` order). */
export function upscaleToWemoe(
  clip: ClipVisionConfig,
  pretrained: ClipParams,
  experts: ReadonlyMap<string, ClipParams>,
  options: UpscaleOptions = {},
): WemoeModel {
  const names = [...experts.keys()];
  if (names.length === 0) throw new WemoeError('wemoe: needs at least one expert');
  const wemoe: WemoeConfig = {
    experts: names,
    routerDepth: options.routerDepth ?? 2,
    initLambda: options.initLambda ?? 0.3,
    batchReduce: options.batchReduce ?? false,
    upscaledLayers: options.upscaledLayers ?? [...Array(clip.numHiddenLayers).keys()],
  };
  const expertParams = names.map((n) => experts.get(n)!);
  const tensorOf = (params: ClipParams, name: string, owner: string) => {
    const tensor = params.get(name);
    if (!tensor) throw new WemoeError(`wemoe: expert ${owner} has no parameter ${name}`);
    return tensor;
  };
  const shared: ClipParams = new Map();
  for (const [name, tensor] of pretrained) {
    if (upscaledMlpPart(name, wemoe.upscaledLayers)) continue;
    const xs = expertParams.map((p, t) => tensorOf(p, name, names[t]).data as Float32Array);
    const data = taskArithmetic(tensor.data as Float32Array, xs, wemoe.initLambda);
    shared.set(name, { dtype: 'F32', shape: tensor.shape, data });
  }
  const layers = new Map<number, WemoeLayer>();
  for (const layer of wemoe.upscaledLayers) {
    const base = {} as Record<MlpPart, Tensor>;
    const taskVectors = {} as Record<MlpPart, Tensor>;
    for (const part of MLP_PARTS) {
      const name = `${mlpPrefix(layer)}${part}`;
      base[part] = tensorOf(pretrained, name, 'pretrained');
      taskVectors[part] = stackTaskVectors(
        base[part],
        expertParams.map((p, t) => tensorOf(p, name, names[t])),
      );
    }
    layers.set(layer, { base, taskVectors });
  }
  return { clip, wemoe, shared, layers, routers: initRouters(clip, wemoe, options.seed ?? 0) };
}

/** Trainable (router) and stored parameter counts. */
export function wemoeParamCounts(model: WemoeModel): { trainable: number; all: number } {
  const count = (tensors: Iterable<Tensor>) => [...tensors].reduce((s, t) => s + numel(t.shape), 0);
  const trainable = count(model.routers.values());
  const layerTensors = [...model.layers.values()].flatMap((l) => [
    ...Object.values(l.base),
    ...Object.values(l.taskVectors),
  ]);
  return { trainable, all: trainable + count(model.shared.values()) + count(layerTensors) };
}
