/**
 * Parameters shared by the test-time methods (the tta/ loop's settings, the T5 objective), as zod shapes,
 * and the options they give.
 */
import { z } from 'zod';
import { WemoeError } from '../errors.js';
import type { T5EntropyKind } from '../models/t5/objective.js';
import type { TtaOptions } from '../tta/loop.js';
import type { T5ObjectiveOptions } from '../tta/t5-objective.js';
import type { AdaptationRun } from './test-time-method.js';

export const ttaParamsShape = {
  steps: z.number().int().positive().default(1000),
  batch_size: z.number().int().positive().default(16),
  schedule: z.enum(['cosine', 'constant']).default('cosine'),
  /** Clip the gradient's global norm; off when absent. */
  max_grad_norm: z.number().positive().optional(),
  /** Stop when the loss has not improved for this many steps; off when absent. */
  early_stop_patience: z.number().int().positive().optional(),
  early_stop_min_delta: z.number().nonnegative().default(1e-4),
  /** Checkpoint every N steps (`wemoe merge`: into `<output>.checkpoints/`). */
  checkpoint_every: z.number().int().positive().default(100),
  /** Continue from the newest checkpoint of an interrupted run. */
  resume: z.boolean().default(false),
};

const ttaParams = z.object(ttaParamsShape);
type TtaParams = z.output<typeof ttaParams>;

/** The loop's options from a method's parameters; `label` names the run when `run.label` does not. */
export function ttaOptions(
  p: TtaParams & { lr: number },
  seed: number,
  run: AdaptationRun,
  label: string,
): TtaOptions {
  const dir = run.checkpointDir;
  return {
    steps: p.steps,
    lr: p.lr,
    schedule: p.schedule,
    batchSize: p.batch_size,
    seed,
    maxGradNorm: p.max_grad_norm,
    earlyStop: p.early_stop_patience
      ? { patience: p.early_stop_patience, minDelta: p.early_stop_min_delta }
      : undefined,
    checkpoint: dir === undefined ? undefined : { dir, every: p.checkpoint_every },
    resume: p.resume,
    logFile: dir === undefined ? undefined : `${dir}/loss.jsonl`,
    progress: run.progress,
    label: run.label ?? label,
    log: run.log,
  };
}

/** The T5 test-time objective's setting (models/t5/objective.ts), absent for CLIP merges. */
export const t5ObjectiveShape = {
  /** `batch-mean` (FusionBench's, the default), `per-sample`, or `labels` (over the label words' first tokens). */
  objective: z.enum(['batch-mean', 'per-sample', 'labels']).optional(),
};

/**
 * The T5 objective's options from the parameters and the inputs' label tokens; `labels` needs label words
 * for every task (checked here, before any model is built).
 */
export function t5ObjectiveOptions(
  p: { readonly objective?: T5EntropyKind },
  inputs: {
    readonly tasks: readonly { readonly name: string }[];
    readonly labelTokens: Readonly<Record<string, readonly number[]>>;
  },
  method: string,
): T5ObjectiveOptions {
  const kind = p.objective ?? 'batch-mean';
  const unlabeled = inputs.tasks.find((t) => !inputs.labelTokens[t.name]?.length);
  if (kind === 'labels' && unlabeled)
    throw new WemoeError(
      `${method}: objective labels: task ${unlabeled.name} has no label words (a task scored by a number, such as STS-B); expected batch-mean or per-sample, or label words for every task`,
    );
  return { kind, labelTokens: inputs.labelTokens };
}

/** A CLIP merge given a T5-only parameter: one line naming it. */
export function refuseT5Only(
  p: Readonly<Record<string, unknown>>,
  method: string,
  keys = ['objective'],
): void {
  const given = keys.find((key) => p[key] !== undefined);
  if (given !== undefined)
    throw new WemoeError(`${method}: parameters.${given} applies to T5 models; this merge is of CLIP models`);
}
