/**
 * Test-time adaptation of T5 merges with the shared loop: WEMoE's routers and AdaMerging's λ trained on
 * unlabeled prompts of each task by the first-step entropy (FusionBench's objective by default).
 */

import { WemoeError } from '../errors.js';
import { mergedParamLookup } from '../models/adamerging/model.js';
import type { T5AdaMerging } from '../models/t5/adamerging.js';
import { firstStepLogits } from '../models/t5/objective.js';
import { type T5WemoeModel, t5WemoeParams } from '../models/t5/wemoe.js';
import type { CompileOptions } from '../runtime/options.js';
import type { Tensor } from '../tensor/tensor.js';
import { runTta, type TtaOptions, type TtaResult, type TtaTask } from '../tta/loop.js';
import { type T5ObjectiveOptions, t5EntropyObjective } from '../tta/t5-objective.js';
import { unitProjection } from './unit-projection.js';

/** A task's tokenized prompts as loop data: a batch is input_ids I64 [B, S] right-padded with `padId`. */
export function tokenTask(name: string, rows: readonly (readonly number[])[], padId = 0): TtaTask {
  if (rows.some((r) => r.length === 0)) throw new WemoeError(`task ${name}: a prompt has no tokens`);
  return {
    name,
    count: rows.length,
    pixels(indices): Tensor {
      const picked = indices.map((i) => rows[i]);
      const width = Math.max(...picked.map((r) => r.length));
      const data = new BigInt64Array(picked.length * width).fill(BigInt(padId));
      for (const [b, r] of picked.entries()) data.set(r.map(BigInt), b * width);
      return { dtype: 'I64', shape: [picked.length, width], data };
    },
  };
}

/** Trains `model`'s routers in place; `lrScale` multiplies the lr of the routers it names. */
export async function adaptT5Wemoe(
  model: T5WemoeModel,
  tasks: readonly TtaTask[],
  { lrScale, ...options }: TtaOptions & T5ObjectiveOptions & { readonly lrScale?: Record<string, number> },
  compileOptions: CompileOptions = {},
): Promise<TtaResult> {
  const objective = await t5EntropyObjective(
    model.t5,
    (inputs) => {
      const p = t5WemoeParams(model, inputs.inputIds.graph, { trainableRouters: true });
      const logits = firstStepLogits(model.t5, p.param, inputs, { feedForwardParams: p.feedForwardParams });
      return { logits, trainable: p.routerInputs };
    },
    Object.fromEntries(model.routers),
    options,
    compileOptions,
  );
  try {
    return await runTta(tasks, { ...objective, lrScale }, options);
  } finally {
    await objective.dispose();
  }
}

/**
 * Trains `model`'s λ ([1, T] task-wise or [P, T] layer-wise) in place; with `projectToUnit`, every λ is
 * projected onto [0, 1] after each step.
 */
export async function adaptT5AdaMerging(
  model: T5AdaMerging,
  tasks: readonly TtaTask[],
  {
    projectToUnit = false,
    ...options
  }: TtaOptions & T5ObjectiveOptions & { readonly projectToUnit?: boolean },
  compileOptions: CompileOptions = {},
): Promise<TtaResult> {
  const objective = await t5EntropyObjective(
    model.t5,
    (inputs) => {
      const graph = inputs.inputIds.graph;
      const lambdas = graph.input('lambdas', 'F32', model.lambdas.shape);
      const logits = firstStepLogits(model.t5, mergedParamLookup(graph, model, lambdas), inputs);
      return { logits, trainable: new Map([['lambdas', lambdas]]) };
    },
    { lambdas: model.lambdas },
    options,
    compileOptions,
  );
  if (projectToUnit) objective.afterStep = unitProjection(model.lambdas);
  try {
    return await runTta(tasks, objective, options);
  } finally {
    await objective.dispose();
  }
}
