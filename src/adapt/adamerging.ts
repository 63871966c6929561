/**
 * AdaMerging: Yang, Wang, Shen, Liu, Guo, Wang, Tao, "AdaMerging: Adaptive Model Merging for Multi-Task
 * Learning", ICLR 2024. θ = θ0 + Σt λt·τt with λ per task (task-wise) or per task per parameter tensor
 * (layer-wise), learned at test time by entropy minimisation on unlabeled data.
 */
import { z } from 'zod';
import {
  type AdaMergingModel,
  createAdaMerging,
  mergeCoefficients,
  mergedParamLookup,
  mergedParams,
} from '../models/adamerging/model.js';
import { clipVisionForward } from '../models/clip-vision/model.js';
import type { Heads } from '../models/heads.js';
import { runTta, type TtaOptions, type TtaResult, type TtaTask } from '../tta/loop.js';
import { entropyObjective } from '../tta/objective.js';
import type { TestTimeMethod } from './test-time-method.js';
import { ttaOptions, ttaParamsShape } from './tta-params.js';

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
  const lam = model.lambdas.data as Float32Array;
  if (projectToUnit) {
    objective.afterStep = () => {
      for (let i = 0; i < lam.length; i++) lam[i] = Math.min(1, Math.max(0, lam[i]));
    };
  }
  try {
    return await runTta(tasks, objective, options);
  } finally {
    await objective.dispose();
  }
}

/** The coefficients that enter the merge as JSON: per parameter tensor (layer-wise) or shared (task-wise). */
export function coefficientsJson(model: AdaMergingModel): Record<string, unknown> {
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
    const model = createAdaMerging(inputs.clip, inputs.pretrained, inputs.experts, {
      granularity: p.granularity,
      init: p.init,
      clampInMerge: p.clamp === 'merge',
    });
    const tta = await adaptAdaMerging(model, inputs.heads, inputs.tasks, {
      ...ttaOptions(p, inputs.seed, run, `adamerging (${p.granularity})`),
      projectToUnit: p.clamp === 'parameter',
    });
    return {
      model: { kind: 'clip', config: model.clip, params: mergedParams(model) },
      trainableParams: model.lambdas.data.length,
      allParams: [...model.pretrained.values()].reduce((n, x) => n + x.data.length, 0),
      tta,
      files: { [COEFFICIENTS_FILE]: coefficientsJson(model) },
    };
  },
};
