/**
 * WEMoE: Tang, Shen, Luo, Yin, Zhang, Tao, "Merging Multi-Task Models via Weight-Ensembling Mixture of
 * Experts", ICML 2024. Task arithmetic everywhere, every chosen MLP (optionally the attention too) a
 * mixture whose router mixes the task vectors per input; the routers are trained at test time by entropy
 * minimisation on unlabeled data.
 */
import { z } from 'zod';
import { WemoeError } from '../errors.js';
import type { Heads } from '../models/heads.js';
import { type T5WemoeModel, t5WemoeParamCounts, upscaleT5ToWemoe } from '../models/t5/wemoe.js';
import type { MixtureForm } from '../models/wemoe/factored-projection.js';
import { wemoeForward } from '../models/wemoe/graph.js';
import { upscaleToWemoe, type WemoeModel, wemoeParamCounts } from '../models/wemoe/model.js';
import { UPSCALABLE_MODULES } from '../models/wemoe/names.js';
import type { CompileOptions } from '../runtime/options.js';
import { runTta, type TtaOptions, type TtaResult, type TtaTask } from '../tta/loop.js';
import { type DisposableObjective, entropyObjective } from '../tta/objective.js';
import { adaptT5Wemoe } from './t5.js';
import type { AdaptationRun, AdaptedModel, T5TestTimeInputs, TestTimeMethod } from './test-time-method.js';
import {
  refuseT5Only,
  t5ObjectiveOptions,
  t5ObjectiveShape,
  ttaOptions,
  ttaParamsShape,
} from './tta-params.js';

/** Hidden size of the routers the paper's learning rate was chosen for (ViT-B/32). */
export const PAPER_ROUTER_WIDTH = 768;

/**
 * Learning-rate multipliers that carry the paper's router lr to another width. Adam moves every weight by
 * about lr per step, so a router's output, a sum over its fan-in, moves about fan-in times as far: at a
 * width d below 768 the same lr leaves the routers nearly where they started. Scaling the weight matrices'
 * lr by 768 / d (the μP rule for Adam, Yang et al. 2021) gives them the paper's reach; biases (fan-in 1)
 * and depth-0 routers keep lr.
 */
export function routerLrScale(
  model: WemoeModel | T5WemoeModel,
  referenceWidth: number | null,
): Record<string, number> {
  const scale: Record<string, number> = {};
  if (referenceWidth === null) return scale;
  const width = 'clip' in model ? model.clip.hiddenSize : model.t5.dModel;
  for (const [name, tensor] of model.routers) {
    if (tensor.shape.length === 2) scale[name] = routerWeightLrMultiplier(width, referenceWidth);
  }
  return scale;
}

/** What routerLrScale multiplies the lr of a router weight matrix by, for routers `width` wide. */
export function routerWeightLrMultiplier(width: number, referenceWidth = PAPER_ROUTER_WIDTH): number {
  return referenceWidth / width;
}

const params = z.strictObject({
  init_lambda: z.number().default(0.3),
  router_depth: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(2),
  /** 0 keeps the routers at their initialization. */
  lr: z.number().nonnegative().default(1e-4),
  /**
   * Router weight matrices train with lr × lr_reference_width / hidden size (biases with lr); null: lr
   * everywhere. The default 768 is the width the paper's lr was set for (ViT-B/32), where it changes nothing.
   */
  lr_reference_width: z.number().int().positive().nullable().default(PAPER_ROUTER_WIDTH),
  batch_reduce: z.boolean().default(false),
  /** 'all' or a list of block indices. */
  upscaled_layers: z.union([z.literal('all'), z.array(z.number().int().nonnegative())]).default('all'),
  /** The modules of those blocks that become mixtures: ['mlp'] (the paper), or with 'self_attn' too (its ablation). */
  upscaled_modules: z.array(z.enum(UPSCALABLE_MODULES)).min(1).default(['mlp']),
  /** T5: average the encoder routers over padded positions too (FusionBench's); default false. */
  routing_includes_padding: z.boolean().optional(),
  ...ttaParamsShape,
  ...t5ObjectiveShape,
});

export type WemoeParams = z.infer<typeof params>;

/**
 * The entropy objective of `model`'s routers (their tensors are its params, updated in place);
 * `mixtureForm` as wemoeForward's (default: chosen from the shapes).
 */
export function wemoeObjective(
  model: WemoeModel,
  heads: Heads,
  compileOptions: CompileOptions = {},
  { mixtureForm }: { readonly mixtureForm?: MixtureForm } = {},
): Promise<DisposableObjective> {
  const { numChannels: c, imageSize: s } = model.clip;
  return entropyObjective(
    (x) => {
      const out = wemoeForward(model, x, { trainableRouters: true, mixtureForm });
      return { pooler: out.poolerOutput, trainable: out.routerInputs };
    },
    Object.fromEntries(model.routers),
    heads,
    [c, s, s],
    compileOptions,
  );
}

/**
 * Trains the routers of `model` in place on the tasks' unlabeled data; router weight matrices with the lr
 * carried from `lrReferenceWidth` (routerLrScale; default the paper's 768, null: options.lr everywhere);
 * `mixtureForm` as wemoeForward's.
 */
export async function adaptWemoe(
  model: WemoeModel,
  heads: Heads,
  tasks: readonly TtaTask[],
  {
    lrReferenceWidth = PAPER_ROUTER_WIDTH,
    mixtureForm,
    ...options
  }: TtaOptions & { readonly lrReferenceWidth?: number | null; readonly mixtureForm?: MixtureForm },
  compileOptions: CompileOptions = {},
): Promise<TtaResult> {
  const objective = await wemoeObjective(model, heads, compileOptions, { mixtureForm });
  try {
    return await runTta(tasks, { ...objective, lrScale: routerLrScale(model, lrReferenceWidth) }, options);
  } finally {
    await objective.dispose();
  }
}

export const wemoeMethod: TestTimeMethod<WemoeParams> = {
  kind: 'test-time',
  name: 'wemoe',
  paper: 'Tang et al., Merging Multi-Task Models via Weight-Ensembling Mixture of Experts, ICML 2024',
  description:
    'task arithmetic + per-input mixtures of task vectors in every MLP, routers trained at test time',
  params,
  async adapt(p, inputs, run) {
    if (inputs.kind === 't5') return adaptOnT5(p, inputs, run);
    refuseT5Only(p, 'wemoe', ['objective', 'routing_includes_padding']);
    const model = upscaleToWemoe(inputs.clip, inputs.pretrained, inputs.experts, {
      routerDepth: p.router_depth,
      initLambda: p.init_lambda,
      batchReduce: p.batch_reduce,
      upscaledLayers: p.upscaled_layers === 'all' ? undefined : p.upscaled_layers,
      upscaledModules: p.upscaled_modules,
      seed: inputs.seed,
    });
    const tta = await adaptWemoe(model, inputs.heads, inputs.tasks, {
      ...ttaOptions(p, inputs.seed, run, 'wemoe'),
      lrReferenceWidth: p.lr_reference_width,
    });
    const counts = wemoeParamCounts(model);
    return {
      model: { kind: 'wemoe', model },
      trainableParams: counts.trainable,
      allParams: counts.all,
      tta,
    };
  },
};

/** FusionBench's Flan-T5 construction: every block's feed-forward module a mixture, routers adapted. */
async function adaptOnT5(
  p: WemoeParams,
  inputs: T5TestTimeInputs,
  run: AdaptationRun,
): Promise<AdaptedModel> {
  if (p.upscaled_layers !== 'all' || p.upscaled_modules.join() !== 'mlp')
    throw new WemoeError(
      'wemoe: on T5 the feed-forward module of every block is upscaled; expected parameters.upscaled_layers all and upscaled_modules [mlp]',
    );
  const objective = t5ObjectiveOptions(p, inputs, 'wemoe');
  const model = upscaleT5ToWemoe(inputs.t5, inputs.pretrained, inputs.experts, {
    routerDepth: p.router_depth,
    initLambda: p.init_lambda,
    batchReduce: p.batch_reduce,
    routingIncludesPadding: p.routing_includes_padding ?? false,
    seed: inputs.seed,
  });
  const tta = await adaptT5Wemoe(model, inputs.tasks, {
    ...ttaOptions(p, inputs.seed, run, 'wemoe'),
    ...objective,
    lrScale: routerLrScale(model, p.lr_reference_width),
  });
  const counts = t5WemoeParamCounts(model);
  return {
    model: { kind: 't5-wemoe', model },
    trainableParams: counts.trainable,
    allParams: counts.all,
    tta,
  };
}
