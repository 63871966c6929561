/**
 * WEMoE on T5 (Tang et al., ICML 2024, FusionBench's Flan-T5 construction): every weight task-arithmetic
 * merged, then the feed-forward module (`DenseReluDense`) of EVERY encoder and decoder block upscaled to a
 * weight-ensembling mixture — the pre-trained weights, the experts' task vectors and a router over the
 * module's input tokens — with the same mixture code as CLIP's (models/wemoe/moe-module.ts). The encoder
 * routers average over real tokens only unless `routingIncludesPadding` (FusionBench's behaviour).
 */
import { WemoeError } from '../../errors.js';
import { concat } from '../../graph/functional.js';
import type { Graph, Value } from '../../graph/graph.js';
import { numel, type Tensor } from '../../tensor/tensor.js';
import type { RouterDepth } from '../wemoe/config.js';
import type { MixtureForm } from '../wemoe/factored-projection.js';
import { foldExperts } from '../wemoe/fold-experts.js';
import { initRouterTensors, type MoeModule } from '../wemoe/model.js';
import { wemoeModuleParams } from '../wemoe/moe-module.js';
import { gateShapes } from '../wemoe/names.js';
import type { T5Config } from './config.js';
import {
  type T5DecoderInputs,
  type T5EncoderInputs,
  type T5FeedForwardParamsFn,
  type T5ParamLookup,
  t5Decoder,
  t5Encoder,
} from './model.js';
import { blockPrefix, feedForwardIndex, type T5Params, type T5Stack } from './params.js';

export interface T5WemoeOptions {
  /** 0: a bias per expert; 1: linear; 2: linear → ReLU → linear (default, FusionBench's). */
  readonly routerDepth?: RouterDepth;
  /** λ of the task-arithmetic merge and of the routers' initial output (default 0.3). */
  readonly initLambda?: number;
  /** One weight set per batch (routing weights averaged over the batch) instead of per sample. */
  readonly batchReduce?: boolean;
  /** Average the encoder routers over padded positions too, as FusionBench does (default false). */
  readonly routingIncludesPadding?: boolean;
  /** Seed of the routers' random init. */
  readonly seed?: number;
}

export interface T5WemoeModel {
  readonly t5: T5Config;
  readonly experts: readonly string[];
  readonly routerDepth: RouterDepth;
  readonly initLambda: number;
  readonly batchReduce: boolean;
  readonly routingIncludesPadding: boolean;
  /** Every parameter outside the mixture modules, task-arithmetic merged. */
  readonly shared: T5Params;
  /** The mixture modules by their prefix (`{stack}.block.{i}.layer.{1|2}.DenseReluDense.`). */
  readonly moes: ReadonlyMap<string, MoeModule>;
  /** The trainable router parameters (`{prefix}gate.*`). */
  readonly routers: Map<string, Tensor>;
}

/** The feed-forward module's prefix in a block. */
export function feedForwardPrefix(stack: T5Stack, block: number): string {
  return `${blockPrefix(stack, block)}${feedForwardIndex(stack)}.DenseReluDense.`;
}

function feedForwardParts(config: T5Config): string[] {
  return config.isGatedAct ? ['wi_0.weight', 'wi_1.weight', 'wo.weight'] : ['wi.weight', 'wo.weight'];
}

/** Every block's feed-forward module, encoder blocks first. */
export function feedForwardSlots(config: T5Config): { stack: T5Stack; block: number; prefix: string }[] {
  const slots = (stack: T5Stack, n: number) =>
    Array.from({ length: n }, (_, block) => ({ stack, block, prefix: feedForwardPrefix(stack, block) }));
  return [...slots('encoder', config.numLayers), ...slots('decoder', config.numDecoderLayers)];
}

/** Builds the model from the pre-trained T5 and the experts (same config; `experts` order = task order). */
export function upscaleT5ToWemoe(
  config: T5Config,
  pretrained: T5Params,
  experts: ReadonlyMap<string, T5Params>,
  options: T5WemoeOptions = {},
): T5WemoeModel {
  const names = [...experts.keys()];
  if (names.length === 0) throw new WemoeError('wemoe: needs at least one expert');
  const initLambda = options.initLambda ?? 0.3;
  const routerDepth = options.routerDepth ?? 2;
  const slots = feedForwardSlots(config);
  const { shared, modules } = foldExperts(pretrained, experts, {
    order: names,
    slots: slots.map(({ prefix }) => ({ prefix, parts: feedForwardParts(config) })),
    initLambda,
  });
  const moes = new Map<string, MoeModule>();
  const gates = new Map<string, number[]>();
  for (const [m, { block, prefix }] of slots.entries()) {
    moes.set(prefix, { layer: block, module: 'mlp', ...modules[m] });
    for (const [name, shape] of gateShapes(prefix, routerDepth, config.dModel, names.length))
      gates.set(name, shape);
  }
  return {
    t5: config,
    experts: names,
    routerDepth,
    initLambda,
    batchReduce: options.batchReduce ?? false,
    routingIncludesPadding: options.routingIncludesPadding ?? false,
    shared,
    moes,
    routers: initRouterTensors(gates, initLambda, options.seed ?? 0),
  };
}

/** Trainable: the routers; all: every stored parameter (routers, shared, base parts, task vectors). */
export function t5WemoeParamCounts(model: T5WemoeModel): { trainable: number; all: number } {
  const count = (tensors: Iterable<Tensor>) => [...tensors].reduce((s, t) => s + numel(t.shape), 0);
  const trainable = count(model.routers.values());
  const moeTensors = [...model.moes.values()].flatMap((m) => [...m.base.values(), ...m.taskVectors.values()]);
  return { trainable, all: trainable + count(model.shared.values()) + count(moeTensors) };
}

export interface T5WemoeOutputs {
  /** [B, S, D] */
  readonly encoderHidden: Value;
  /** [B, S', V] */
  readonly logits: Value;
  /** [Le, B, T] and [Ld, B, T]: each block's routing weights. */
  readonly encoderRouting: Value;
  readonly decoderRouting: Value;
  /** Router parameters as graph inputs by name (empty when baked in as constants). */
  readonly routerInputs: ReadonlyMap<string, Value>;
}

/** What a T5 graph needs to run as the WEMoE model: its parameters, the mixture hook, the routers. */
export interface T5WemoeGraphParams {
  /** The shared (merged) parameters as constants. */
  readonly param: T5ParamLookup;
  /** Plugs the mixture modules into t5Encoder / t5Decoder. */
  readonly feedForwardParams: T5FeedForwardParamsFn;
  /** Each stack's routing weights ([B or 1, T] per block), in the order the blocks were built. */
  readonly routing: Readonly<Record<T5Stack, Value[]>>;
  /** Router parameters as graph inputs by name (empty when baked in as constants). */
  readonly routerInputs: ReadonlyMap<string, Value>;
}

/**
 * The model's parameters on `graph`; routers as inputs (trained, differentiable) or constants. A module
 * applies its per-sample weights in `mixtureForm` (default: chosen from the shapes, so the decoder's
 * one-token first step of the test-time objective runs factored, without per-sample weight copies).
 */
export function t5WemoeParams(
  model: T5WemoeModel,
  graph: Graph,
  {
    trainableRouters = false,
    mixtureForm,
  }: { readonly trainableRouters?: boolean; readonly mixtureForm?: MixtureForm } = {},
): T5WemoeGraphParams {
  const made = new Map<string, Value>();
  const routerInputs = new Map<string, Value>();
  const value = (name: string, tensor: Tensor | undefined, input: boolean): Value => {
    let v = made.get(name);
    if (!v) {
      if (!tensor) throw new WemoeError(`wemoe: the model has no parameter ${name}`);
      v = input ? graph.input(name, 'F32', tensor.shape) : graph.constant(tensor, name);
      made.set(name, v);
      if (input) routerInputs.set(name, v);
    }
    return v;
  };
  const router = (name: string) => value(name, model.routers.get(name), trainableRouters);
  const routing: Record<T5Stack, Value[]> = { encoder: [], decoder: [] };
  const feedForwardParams: T5FeedForwardParamsFn = (stack, block, x, mask) => {
    const prefix = feedForwardPrefix(stack, block);
    const moe = model.moes.get(prefix);
    if (!moe) return undefined;
    const routedMask = model.routingIncludesPadding ? undefined : mask;
    const { param, weights } = wemoeModuleParams(moe, model, router, x, {
      prefix,
      mask: routedMask,
      form: mixtureForm,
    });
    routing[stack].push(weights);
    return param;
  };
  return {
    param: (name) => value(name, model.shared.get(name), false),
    feedForwardParams,
    routing,
    routerInputs,
  };
}

/** The WEMoE T5 forward; decoder inputs as t5Decoder's, without cache. */
export function t5WemoeForward(
  model: T5WemoeModel,
  encoder: T5EncoderInputs,
  decoder: Omit<T5DecoderInputs, 'attentionMask' | 'encoderHidden' | 'cross' | 'past'>,
  options: { trainableRouters?: boolean } = {},
): T5WemoeOutputs {
  const { param, feedForwardParams, routing, routerInputs } = t5WemoeParams(
    model,
    encoder.inputIds.graph,
    options,
  );
  const encoderHidden = t5Encoder(model.t5, param, encoder, { feedForwardParams });
  const { logits } = t5Decoder(
    model.t5,
    param,
    { ...decoder, attentionMask: encoder.attentionMask, encoderHidden },
    { feedForwardParams },
  );
  const batch = encoder.inputIds.shape[0];
  const t = model.experts.length;
  const stack = (ws: Value[]) =>
    concat(
      ws.map((w) => w.expand([batch, t]).reshape([1, batch, t])),
      0,
    );
  return {
    encoderHidden,
    logits,
    encoderRouting: stack(routing.encoder),
    decoderRouting: stack(routing.decoder),
    routerInputs,
  };
}
