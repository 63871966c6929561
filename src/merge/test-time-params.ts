/** Parameters shared by the test-time methods (the tta/ loop's settings), as a zod shape. */
import { join } from 'node:path';
import { z } from 'zod';
import type { TtaOptions, TtaResult } from '../tta/loop.js';
import type { TestTimeOutcome } from './method.js';

export const ttaParamsShape = {
  steps: z.number().int().positive().default(1000),
  batch_size: z.number().int().positive().default(16),
  schedule: z.enum(['cosine', 'constant']).default('cosine'),
  /** Clip the gradient's global norm; off when absent. */
  max_grad_norm: z.number().positive().optional(),
  /** Stop when the loss has not improved for this many steps; off when absent. */
  early_stop_patience: z.number().int().positive().optional(),
  early_stop_min_delta: z.number().nonnegative().default(1e-4),
  /** Checkpoint every N steps into `<output>.checkpoints/`. */
  checkpoint_every: z.number().int().positive().default(100),
  /** Continue from the newest checkpoint of an interrupted run. */
  resume: z.boolean().default(false),
};

const ttaParams = z.object(ttaParamsShape);
type TtaParams = z.output<typeof ttaParams>;

/** Where a test-time run on `output` keeps its checkpoints and loss log. */
export function checkpointDir(output: string): string {
  return `${output}.checkpoints`;
}

export function ttaOptions(
  p: TtaParams & { lr: number },
  output: string,
  seed: number,
  label: string,
  log: (line: string) => void,
): TtaOptions {
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
    checkpoint: { dir: checkpointDir(output), every: p.checkpoint_every },
    resume: p.resume,
    logFile: join(checkpointDir(output), 'loss.jsonl'),
    label,
    log,
  };
}

/** Performance.now() marks of a test-time run: start, models built, adaptation done. */
export interface PhaseMarks {
  readonly start: number;
  readonly setup: number;
  readonly adapted: number;
}

/** What every test-time method reports: parameter counts, phase timings and the adaptation's loss curve. */
export function testTimeOutcome(
  counts: { readonly trainable: number; readonly all: number },
  marks: PhaseMarks,
  result: TtaResult,
): TestTimeOutcome {
  return {
    trainableParams: counts.trainable,
    allParams: counts.all,
    timing: {
      setup_s: (marks.setup - marks.start) / 1000,
      adapt_s: (marks.adapted - marks.setup) / 1000,
      save_s: (performance.now() - marks.adapted) / 1000,
    },
    report: {
      tta: { steps: result.steps, stopped_early: result.stoppedEarly, loss_curve: result.lossCurve },
    },
  };
}
