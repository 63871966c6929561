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
import { foldExperts } from './fold-experts.js';
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
  const slots = moduleSlots(wemoe);
  const folded = foldExperts(pretrained, experts, {
    order: names,
    slots: slots.map(({ layer, module }) => ({
      prefix: modulePrefix(layer, module),
      parts: MODULE_PARTS[module],
    })),
    initLambda: wemoe.initLambda,
  });
  const moes = slots.map(({ layer, module }, m): MoeModule => ({ layer, module, ...folded.modules[m] }));
  return { clip, wemoe, shared: folded.shared, moes, routers: initRouters(clip, wemoe, options.seed ?? 0) };
}

/** Trainable (router) and stored parameter counts. */
export function wemoeParamCounts(model: WemoeModel): { trainable: number; all: number } {
  const count = (tensors: Iterable<Tensor>) => [...tensors].reduce((s, t) => s + numel(t.shape), 0);
  const trainable = count(model.routers.values());
  const moeTensors = model.moes.flatMap((m) => [...m.base.values(), ...m.taskVectors.values()]);
  return { trainable, all: trainable + count(model.shared.values()) + count(moeTensors) };
}
