/**
 * AdaMerging: Yang, Wang, Shen, Liu, Guo, Wang, Tao, "AdaMerging: Adaptive Model Merging for Multi-Task
 * Learning", ICLR 2024. θ = θ0 + Σt λt·τt with λ per task (task-wise) or per task per parameter tensor
 * (layer-wise), learned at test time by entropy minimisation on unlabeled data.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../io/json-file.js';
import {
  type AdaMergingModel,
  createAdaMerging,
  mergedParamLookup,
  mergedParams,
} from '../models/adamerging/model.js';
import { saveClipVision } from '../models/clip-vision/checkpoint.js';
import { clipVisionForward } from '../models/clip-vision/model.js';
import type { Heads } from '../models/heads.js';
import { runTta, type TtaOptions, type TtaResult, type TtaTask } from '../tta/loop.js';
import { entropyObjective } from '../tta/objective.js';
import type { TestTimeMergeMethod } from './method.js';
import { loadTestTimeInputs } from './test-time-inputs.js';
import { testTimeOutcome, ttaOptions, ttaParamsShape } from './test-time-params.js';

export const COEFFICIENTS_FILE = 'adamerging_coefficients.json';

const params = z.strictObject({
  granularity: z.enum(['layer', 'task']).default('layer'),
  init: z.number().default(0.3),
  lr: z.number().positive().default(1e-3),
  /** Keep every λ in [0, 1] after each step (as the authors' code does). */
  clamp: z.boolean().default(true),
  ...ttaParamsShape,
});

export type AdaMergingParams = z.infer<typeof params>;

/** Learns the coefficients of `model` in place. */
export async function adaptAdaMerging(
  model: AdaMergingModel,
  heads: Heads,
  tasks: readonly TtaTask[],
  options: TtaOptions,
  clamp: boolean,
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
  if (clamp) {
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

/** The learned coefficients as JSON: per parameter tensor (layer-wise) or shared (task-wise). */
export function coefficientsJson(model: AdaMergingModel): Record<string, unknown> {
  const t = model.tasks.length;
  const lam = Array.from(model.lambdas.data as Float32Array);
  const rows = Array.from({ length: lam.length / t }, (_, r) => lam.slice(r * t, (r + 1) * t));
  return {
    granularity: model.granularity,
    tasks: model.tasks,
    coefficients:
      model.granularity === 'task' ? rows[0] : Object.fromEntries(model.names.map((n, r) => [n, rows[r]])),
  };
}

export const adamergingMethod: TestTimeMergeMethod<AdaMergingParams> = {
  kind: 'test-time',
  name: 'adamerging',
  paper: 'Yang et al., AdaMerging: Adaptive Model Merging for Multi-Task Learning, ICLR 2024',
  description: 'θ = θ0 + Σ λt τt with λ learned at test time (task-wise or layer-wise)',
  params,
  async run(p, { config, outputDir, log, progress }) {
    const start = performance.now();
    const inputs = loadTestTimeInputs(config, 'adamerging');
    const model = createAdaMerging(inputs.clip, inputs.pretrained, inputs.experts, p.granularity, p.init);
    const setup = performance.now();
    const options = {
      ...ttaOptions(p, config.output, config.seed, `adamerging (${p.granularity})`, log),
      progress,
    };
    const result = await adaptAdaMerging(model, inputs.heads, inputs.tasks, options, p.clamp);
    const adapted = performance.now();
    saveClipVision(outputDir, model.clip, mergedParams(model));
    writeJsonAtomic(join(outputDir, COEFFICIENTS_FILE), coefficientsJson(model));
    const all = [...model.pretrained.values()].reduce((n, x) => n + x.data.length, 0);
    return testTimeOutcome({ trainable: model.lambdas.data.length, all }, { start, setup, adapted }, result);
  },
};
