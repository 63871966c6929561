/**
 * A Weight-Ensembling MoE model in memory (Tang et al., "Merging Multi-Task Models via Weight-Ensembling
 * Mixture of Experts", ICML 2024): a task-arithmetic merged CLIP encoder whose upscaled modules (the MLPs;
 * optionally the attention too) keep the pre-trained weights, the experts' frozen task vectors and a
 * trainable router each.
 */

import { createRandom } from '../../data/random.js';
import { WemoeError } from '../../errors.js';
import { numel, type Tensor } from '../../tensor/tensor.js';
import type { ClipVisionConfig } from '../clip-vision/config.js';
import type { ClipParams } from '../clip-vision/params.js';
import { canonicalModules, type RouterDepth, type WemoeConfig } from './config.js';
import { MODULE_PARTS, modulePrefix, routerShapes, type UpscaledModule } from './names.js';

/** One mixture module: a block's MLP or attention. */
export interface MoeModule {
  readonly layer: number;
  readonly module: UpscaledModule;
  /** The pre-trained parameters, by part (MODULE_PARTS[module]). */
  readonly base: ReadonlyMap<string, Tensor>;
  /** Task vectors stacked by part: [T, ...shape of the part]. */
  readonly taskVectors: ReadonlyMap<string, Tensor>;
}

export interface WemoeModel {
  readonly clip: ClipVisionConfig;
  readonly wemoe: WemoeConfig;
  /** Every encoder parameter outside the upscaled modules (task-arithmetic merged), by canonical name. */
  readonly shared: ClipParams;
  /** The mixture modules, layer by layer (moduleSlots order). */
  readonly moes: readonly MoeModule[];
  /** The trainable router parameters, by checkpoint name. */
  readonly routers: Map<string, Tensor>;
}

export interface UpscaleOptions {
  readonly routerDepth?: RouterDepth;
  readonly initLambda?: number;
  readonly batchReduce?: boolean;
  /** Default: every layer. */
  readonly upscaledLayers?: readonly number[];
  /** Default: the MLPs only (the paper's method). */
  readonly upscaledModules?: readonly UpscaledModule[];
  /** Seed of the routers' random init. */
  readonly seed?: number;
}

/** The (layer, module) pairs that are mixtures, layer by layer, in UPSCALABLE_MODULES order within a layer. */
export function moduleSlots(wemoe: WemoeConfig): { layer: number; module: UpscaledModule }[] {
  return wemoe.upscaledLayers.flatMap((layer) => wemoe.upscaledModules.map((module) => ({ layer, module })));
}

/** Whether `name` is a parameter of an upscaled module (stored as base + task vectors, not shared). */
export function isUpscaledParam(name: string, wemoe: WemoeConfig): boolean {
  return moduleSlots(wemoe).some(({ layer, module }) => name.startsWith(modulePrefix(layer, module)));
}

/** Task vectors θt − θ0 of one tensor, stacked: [T, ...shape]. */
export function stackTaskVectors(pretrained: Tensor, experts: readonly Tensor[]): Tensor {
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

/** Every router's parameter names and shapes, in checkpoint order. */
export function allRouterShapes(clip: ClipVisionConfig, wemoe: WemoeConfig): Map<string, number[]> {
  const t = wemoe.experts.length;
  return new Map(
    moduleSlots(wemoe).flatMap(({ layer, module }) => [
      ...routerShapes(layer, module, wemoe.routerDepth, clip.hiddenSize, t),
    ]),
  );
}

/** Router init of the paper: weights ~ N(0, 0.01²), hidden bias 0, output bias (or depth-0 weight) λ. */
export function initRouters(clip: ClipVisionConfig, wemoe: WemoeConfig, seed: number): Map<string, Tensor> {
  return initRouterTensors(allRouterShapes(clip, wemoe), wemoe.initLambda, seed);
}

/** The paper's router init for routers of any model, given their names and shapes. */
export function initRouterTensors(
  shapes: ReadonlyMap<string, readonly number[]>,
  initLambda: number,
  seed: number,
): Map<string, Tensor> {
  const random = createRandom(seed);
  const routers = new Map<string, Tensor>();
  for (const [name, shape] of shapes) {
    const data = new Float32Array(numel(shape));
    if (OUTPUT_BIAS.test(name)) data.fill(initLambda);
    else if (shape.length === 2) for (let i = 0; i < data.length; i++) data[i] = 0.01 * random.normal();
    routers.set(name, { dtype: 'F32', shape, data });
  }
  return routers;
}

function tensorOf(params: ClipParams, name: string, owner: string): Tensor {
  const tensor = params.get(name);
  if (!tensor) throw new WemoeError(`wemoe: expert ${owner} has no parameter ${name}`);
  return tensor;
}

/**
 * The shared (task-arithmetic merged) parameters and the mixture modules, taking the experts one at a time
 * (a map may read each from its checkpoint when asked): an expert's task vectors go into their rows and
 * its shared parameters into float64 sums, then it is let go, so that at most one expert is held.
 */
function foldExperts(
  pretrained: ClipParams,
  experts: ReadonlyMap<string, ClipParams>,
  wemoe: WemoeConfig,
): { shared: ClipParams; moes: MoeModule[] } {
  const t = wemoe.experts.length;
  const moes = moduleSlots(wemoe).map(({ layer, module }): MoeModule => {
    const base = new Map<string, Tensor>();
    const taskVectors = new Map<string, Tensor>();
    for (const part of MODULE_PARTS[module]) {
      const pre = tensorOf(pretrained, `${modulePrefix(layer, module)}${part}`, 'pretrained');
      base.set(part, pre);
      const data = new Float32Array(t * pre.data.length);
      taskVectors.set(part, { dtype: 'F32', shape: [t, ...pre.shape], data });
    }
    return { layer, module, base, taskVectors };
  });
  const sums = new Map<string, Float64Array>();
  for (const [name, tensor] of pretrained)
    if (!isUpscaledParam(name, wemoe)) sums.set(name, new Float64Array(tensor.data.length));
  wemoe.experts.forEach((owner, row) => {
    const params = experts.get(owner)!;
    for (const [name, sum] of sums) {
      const x = tensorOf(params, name, owner).data as Float32Array;
      for (let i = 0; i < x.length; i++) sum[i] += x[i];
    }
    for (const moe of moes)
      for (const [part, pre] of moe.base) {
        const x = tensorOf(params, `${modulePrefix(moe.layer, moe.module)}${part}`, owner)
          .data as Float32Array;
        const base = pre.data as Float32Array;
        const out = moe.taskVectors.get(part)!.data as Float32Array;
        for (let i = 0, o = row * x.length; i < x.length; i++, o++) out[o] = x[i] - base[i];
      }
  });
  const shared: ClipParams = new Map();
  for (const [name, sum] of sums) {
    const pre = pretrained.get(name)!;
    const data = taskArithmeticOfSum(pre.data as Float32Array, sum, t, wemoe.initLambda);
    shared.set(name, { dtype: 'F32', shape: pre.shape, data });
  }
  return { shared, moes };
}

/**
 * θ0 + λ·(Σt θt − count·θ0) from the float64 sum Σt θt (taken in task order from +0): the operations of
 * taskArithmetic in its order, so the result is identical to it.
 */
function taskArithmeticOfSum(pretrained: Float32Array, sum: Float64Array, count: number, lambda: number) {
  const out = new Float32Array(pretrained.length);
  for (let i = 0; i < out.length; i++) out[i] = pretrained[i] + lambda * (sum[i] - count * pretrained[i]);
  return out;
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
  const modules = canonicalModules(options.upscaledModules ?? ['mlp']);
  if (modules.length === 0) throw new WemoeError('wemoe: upscaled_modules needs at least one module');
  const wemoe: WemoeConfig = {
    experts: names,
    routerDepth: options.routerDepth ?? 2,
    initLambda: options.initLambda ?? 0.3,
    batchReduce: options.batchReduce ?? false,
    upscaledLayers: options.upscaledLayers ?? [...Array(clip.numHiddenLayers).keys()],
    upscaledModules: modules,
  };
  const { shared, moes } = foldExperts(pretrained, experts, wemoe);
  return { clip, wemoe, shared, moes, routers: initRouters(clip, wemoe, options.seed ?? 0) };
}

/** Trainable (router) and stored parameter counts. */
export function wemoeParamCounts(model: WemoeModel): { trainable: number; all: number } {
  const count = (tensors: Iterable<Tensor>) => [...tensors].reduce((s, t) => s + numel(t.shape), 0);
  const trainable = count(model.routers.values());
  const moeTensors = model.moes.flatMap((m) => [...m.base.values(), ...m.taskVectors.values()]);
  return { trainable, all: trainable + count(model.shared.values()) + count(moeTensors) };
}
