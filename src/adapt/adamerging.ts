/**
 * AdaMerging: Yang, Wang, Shen, Liu, Guo, Wang, Tao, "AdaMerging: Adaptive Model Merging for Multi-Task
 * Learning", ICLR 2024. θ = θ0 + Σt λt·τt with λ per task (task-wise) or per task per parameter tensor
 * (layer-wise), learned at test time by entropy minimisation on unlabeled data.
 */
import { z } from 'zod';
import {
  type AdaMergingMerge,
  type AdaMergingModel,
  createAdaMerging,
  mergeCoefficients,
  mergedParamLookup,
  mergedParams,
} from '../models/adamerging/model.js';
import { clipVisionForward } from '../models/clip-vision/model.js';
import type { Heads } from '../models/heads.js';
import { createT5AdaMerging } from '../models/t5/adamerging.js';
import { runTta, type TtaOptions, type TtaResult, type TtaTask } from '../tta/loop.js';
import { entropyObjective } from '../tta/objective.js';
import { adaptT5AdaMerging } from './t5.js';
import type { TestTimeMethod } from './test-time-method.js';
import {
  refuseT5Only,
  t5ObjectiveOptions,
  t5ObjectiveShape,
  ttaOptions,
  ttaParamsShape,
} from './tta-params.js';
import { unitProjection } from './unit-projection.js';

export const COEFFICIENTS_FILE = 'adamerging_coefficients.json';

/**
 * How λ is kept in [0, 1]: 'merge' clamps it inside the merge, in the forward, so a λ outside gets no
 * gradient (the authors' code); 'parameter' projects the parameter after each optimizer step; 'none'
 * leaves it free (FusionBench's default).
 */
export const CLAMP_MODES = ['none', 'merge', 'parameter'] as const;
export type ClampMode = (typeof CLAMP_MODES)[number];

const params = z.strictObject({
  granularity: z.enum(['layer', 'task']).default('layer'),
  init: z.number().default(0.3),
  /** 0 keeps every λ at init. */
  lr: z.number().nonnegative().default(1e-3),
  clamp: z.enum(CLAMP_MODES).default('merge'),
  ...ttaParamsShape,
  ...t5ObjectiveShape,
});

export type AdaMergingParams = z.infer<typeof params>;

/**
 * Learns the coefficients of `model` in place; with `projectToUnit`, every λ is projected to [0, 1] after
 * each step (clamp mode 'parameter'; mode 'merge' lives in the model, see createAdaMerging).
 */
export async function adaptAdaMerging(
  model: AdaMergingModel,
  heads: Heads,
  tasks: readonly TtaTask[],
  { projectToUnit = false, ...options }: TtaOptions & { readonly projectToUnit?: boolean },
): Promise<TtaResult> {
  const { numChannels: c, imageSize: s } = model.clip;
  const objective = await entropyObjective(
    (x) => {
      const lambdas = x.graph.input('lambdas', 'F32', [...model.lambdas.shape]);
      const { poolerOutput } = clipVisionForward(model.clip, mergedParamLookup(x.graph, model, lambdas), x);
      return { pooler: poolerOutput, trainable: new Map([['lambdas', lambdas]]) };
    },
    { lambdas: model.lambdas },
    heads,
    [c, s, s],
  );
  if (projectToUnit) objective.afterStep = unitProjection(model.lambdas);
  try {
    return await runTta(tasks, objective, options);
  } finally {
    await objective.dispose();
  }
}

/** The coefficients that enter the merge as JSON: per parameter tensor (layer-wise) or shared (task-wise). */
export function coefficientsJson(model: AdaMergingMerge): Record<string, unknown> {
  const t = model.tasks.length;
  const lam = Array.from(mergeCoefficients(model));
  const rows = Array.from({ length: lam.length / t }, (_, r) => lam.slice(r * t, (r + 1) * t));
  return {
    granularity: model.granularity,
    tasks: model.tasks,
    coefficients:
      model.granularity === 'task' ? rows[0] : Object.fromEntries(model.names.map((n, r) => [n, rows[r]])),
  };
}

export const adamergingMethod: TestTimeMethod<AdaMergingParams> = {
  kind: 'test-time',
  name: 'adamerging',
  paper: 'Yang et al., AdaMerging: Adaptive Model Merging for Multi-Task Learning, ICLR 2024',
  description: 'θ = θ0 + Σ λt τt with λ learned at test time (task-wise or layer-wise)',
  params,
  async adapt(p, inputs, run) {
    const options = { granularity: p.granularity, init: p.init, clampInMerge: p.clamp === 'merge' };
    const loop = {
      ...ttaOptions(p, inputs.seed, run, `adamerging (${p.granularity})`),
      projectToUnit: p.clamp === 'parameter',
    };
    if (inputs.kind === 't5') {
      const objective = t5ObjectiveOptions(p, inputs, 'adamerging');
      const model = createT5AdaMerging(inputs.t5, inputs.pretrained, inputs.experts, options);
      const tta = await adaptT5AdaMerging(model, inputs.tasks, { ...loop, ...objective });
      return {
        model: { kind: 't5', model: { config: model.t5, params: mergedParams(model) } },
        ...adaptedCounts(model),
        tta,
        files: { [COEFFICIENTS_FILE]: coefficientsJson(model) },
      };
    }
    refuseT5Only(p, 'adamerging');
    const model = createAdaMerging(inputs.clip, inputs.pretrained, inputs.experts, options);
    const tta = await adaptAdaMerging(model, inputs.heads, inputs.tasks, loop);
    return {
      model: { kind: 'clip', config: model.clip, params: mergedParams(model) },
      ...adaptedCounts(model),
      tta,
      files: { [COEFFICIENTS_FILE]: coefficientsJson(model) },
    };
  },
};

/** Trained: the λ; all: the merged model's parameters. */
function adaptedCounts(model: AdaMergingMerge) {
  return {
    trainableParams: model.lambdas.data.length,
    allParams: [...model.pretrained.values()].reduce((n, x) => n + x.data.length, 0),
  };
}
