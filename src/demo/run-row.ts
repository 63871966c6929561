/** Runs one demo row on the suite: merge (and adapt) through the method registry's entry, then evaluate. */
import type { ClipTestTimeInputs } from '../adapt/test-time-method.js';
import type { LabeledImages } from '../data/task-data.js';
import { type Evaluation, evaluateModel } from '../eval/evaluate.js';
import type { MethodResult, ModelInfo, TtaSummary } from '../eval/report-types.js';
import { getMethod } from '../methods/registry.js';
import { type MethodOutcome, runMethod } from '../methods/run-method.js';
import { clipParamCount } from '../models/clip-vision/params.js';
import type { VisionModel } from '../models/vision-model.js';
import type { TtaResult } from '../tta/loop.js';
import { type ProgressMode, resolveProgressMode } from '../util/progress.js';
import { adaptationParams, type DemoBudget } from './budget.js';
import type { DemoRow, MethodRow, ReferenceRow } from './rows.js';
import type { DemoSuite } from './suite.js';

export interface DemoContext {
  readonly suite: DemoSuite;
  readonly budget: DemoBudget;
  readonly seed: number;
  readonly threads?: number;
  readonly progress: ProgressMode;
  readonly log: (line: string) => void;
  /** Tasks evaluated when not the suite's (e.g. seen + unseen tasks); merging and adaptation use the suite's. */
  readonly evalTasks?: readonly LabeledImages[];
  /** Sees each method row's model once it is built (the demo exports one of them). */
  readonly onModel?: (row: MethodRow, model: VisionModel) => void;
}

export type Hyperparameters = Record<string, number | string | boolean>;

function evaluate(
  ctx: DemoContext,
  id: string,
  model: VisionModel,
  tasks = ctx.evalTasks ?? ctx.suite.tasks,
): Promise<Evaluation> {
  return evaluateModel(model, ctx.suite.heads, tasks, {
    batchSize: ctx.budget.evalBatch,
    threads: ctx.threads,
    // Evaluations take seconds: a bar on a terminal, but no lines in logs (one line per phase is enough).
    progress: resolveProgressMode(ctx.progress) === 'lines' ? 'none' : ctx.progress,
    label: `eval ${id}`,
    log: ctx.log,
  });
}

export interface Scored {
  readonly evaluation: Evaluation;
  /** Seconds of loading / merging / building before evaluation (graph compile time is added). */
  readonly setup: number;
  readonly adapt: number;
  readonly modelInfo: ModelInfo;
  readonly hyperparameters?: Hyperparameters;
  readonly tta?: TtaSummary;
}

export function methodResult(row: DemoRow, s: Scored): MethodResult {
  const setup = s.setup + s.evaluation.compileSeconds;
  const evalSeconds = s.evaluation.runSeconds;
  const result: MethodResult = {
    method: row.id,
    label: row.label,
    per_task: s.evaluation.perTask,
    average: s.evaluation.average,
    model_info: s.modelInfo,
    timing: { setup_s: setup, adapt_s: s.adapt, eval_s: evalSeconds, total_s: setup + s.adapt + evalSeconds },
  };
  if ('reference' in row) result.reference = true;
  if (s.hyperparameters) result.hyperparameters = s.hyperparameters;
  if (s.tta) result.tta = s.tta;
  if (s.evaluation.routing) result.routing = s.evaluation.routing;
  if (s.evaluation.attentionRouting) result.attention_routing = s.evaluation.attentionRouting;
  if (s.evaluation.decoderRouting) result.decoder_routing = s.evaluation.decoderRouting;
  return result;
}

/** The result of a method row: its evaluation with the method's run (setup, adaptation, parameters). */
export function outcomeResult(
  row: MethodRow,
  outcome: Omit<MethodOutcome, 'model' | 'files'>,
  evaluation: Evaluation,
): MethodResult {
  return methodResult(row, {
    evaluation,
    setup: outcome.setupSeconds,
    adapt: outcome.tta?.seconds ?? 0,
    modelInfo: { trainable_params: outcome.trainableParams, all_params: outcome.allParams },
    hyperparameters: hyperparameters(row.method, outcome.parameters),
    tta: outcome.tta && ttaSummary(outcome.tta),
  });
}

export function ttaSummary(result: TtaResult): TtaSummary {
  return {
    loss_curve: result.lossCurve.map(({ step, loss, per_task }) => ({
      step,
      loss,
      per_task: { ...per_task },
    })),
  };
}

/** Parameters as report.json's hyperparameters: lists joined with commas, null as 'none'. */
export function hyperparameters(method: string, params: Record<string, unknown>): Hyperparameters {
  const flat: Hyperparameters = { method };
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    flat[key] = Array.isArray(value)
      ? value.join(',')
      : value === null
        ? 'none'
        : (value as number | string | boolean);
  }
  return flat;
}

/** The pre-trained model on every task, or each expert on its own task (the paper's "Individual" row). */
async function runReference(row: ReferenceRow, ctx: DemoContext): Promise<MethodResult> {
  const { config, pretrained, experts, tasks } = ctx.suite;
  if (row.reference === 'pretrained') {
    const evaluation = await evaluate(ctx, row.id, { kind: 'clip', config, params: pretrained });
    const modelInfo = { trainable_params: 0, all_params: clipParamCount(config) };
    return methodResult(row, { evaluation, setup: 0, adapt: 0, modelInfo });
  }
  const parts: Evaluation[] = [];
  for (const data of tasks) {
    const params = experts.get(data.task)!;
    parts.push(await evaluate(ctx, `${row.id} ${data.task}`, { kind: 'clip', config, params }, [data]));
  }
  const n = parts.length;
  const evaluation: Evaluation = {
    perTask: Object.assign({}, ...parts.map((p) => p.perTask)),
    average: {
      accuracy: parts.reduce((s, p) => s + p.average.accuracy, 0) / n,
      loss: parts.reduce((s, p) => s + p.average.loss, 0) / n,
    },
    entropy: Object.assign({}, ...parts.map((p) => p.entropy)),
    compileSeconds: parts.reduce((s, p) => s + p.compileSeconds, 0),
    runSeconds: parts.reduce((s, p) => s + p.runSeconds, 0),
  };
  const modelInfo = { trainable_params: 0, all_params: n * clipParamCount(config) };
  return methodResult(row, { evaluation, setup: 0, adapt: 0, modelInfo });
}

/** The suite as the methods' inputs: models, heads and each task's test images (unlabeled for adaptation). */
function methodInputs(ctx: DemoContext): ClipTestTimeInputs {
  const { config, pretrained, experts, heads, tasks } = ctx.suite;
  return {
    clip: config,
    pretrained,
    experts,
    heads,
    tasks: tasks.map((t) => ({ name: t.task, count: t.count, pixels: (indices) => t.pixels(indices) })),
    seed: ctx.seed,
  };
}

async function runMethodRow(row: MethodRow, ctx: DemoContext): Promise<MethodResult> {
  const testTime = getMethod(row.method).kind === 'test-time';
  const params = { ...row.params, ...(testTime ? adaptationParams(ctx.budget, row.method) : {}) };
  const outcome = await runMethod(row.method, params, methodInputs(ctx), {
    log: ctx.log,
    progress: ctx.progress,
    label: `adapt ${row.id}`,
    where: `demo ${row.id}`,
  });
  ctx.onModel?.(row, outcome.model);
  return outcomeResult(row, outcome, await evaluate(ctx, row.id, outcome.model));
}

/** Runs `row` on `ctx.suite` and scores it. */
export function runRow(row: DemoRow, ctx: DemoContext): Promise<MethodResult> {
  return 'reference' in row ? runReference(row, ctx) : runMethodRow(row, ctx);
}
