/**
 * Runs one demo row on the text suite: the same rows and the same method entry as the vision demo, with
 * T5 inputs (each task's test prompts, unlabeled) and GLUE scoring (accuracy; Spearman's ρ for STS-B).
 */
import type { T5TestTimeInputs } from '../adapt/test-time-method.js';
import type { Evaluation } from '../eval/evaluate.js';
import type { MethodResult, TaskMetric } from '../eval/report-types.js';
import { t5Routing } from '../eval/t5-routing.js';
import { type PosedTextTask, scoreTextTasks } from '../eval/text-eval.js';
import { getMethod } from '../methods/registry.js';
import { runMethod } from '../methods/run-method.js';
import { t5TestTimeInputs } from '../methods/t5-test-time-inputs.js';
import { formatPrompt } from '../models/t5/glue.js';
import { t5ParamCount } from '../models/t5/params.js';
import { T5Runner, type T5RunnerModel } from '../models/t5/runner.js';
import { type ProgressMode, resolveProgressMode } from '../util/progress.js';
import { adaptationParams, type DemoBudget } from './budget.js';
import type { DemoRow, MethodRow, ReferenceRow } from './rows.js';
import { methodResult, outcomeResult } from './run-row.js';
import type { TextDemoSuite } from './text-suite.js';

export interface TextDemoContext {
  readonly suite: TextDemoSuite;
  readonly budget: DemoBudget;
  readonly seed: number;
  readonly threads?: number;
  readonly progress: ProgressMode;
  readonly log: (line: string) => void;
  /** The suite's tokenized prompts (textMethodInputs), built once for every row. */
  readonly inputs: T5TestTimeInputs;
}

/** Each task's metric, for the report's task_metrics. */
export function textMetrics(suite: TextDemoSuite): Record<string, TaskMetric> {
  return Object.fromEntries(suite.tasks.map((t) => [t.name, t.task.metric]));
}

/** The suite as the methods' inputs: models, each task's test prompts and label words. */
export function textMethodInputs(suite: TextDemoSuite, seed: number): Promise<T5TestTimeInputs> {
  return t5TestTimeInputs({
    pretrained: suite.pretrained,
    experts: suite.experts,
    tokenizer: suite.tokenizer,
    tasks: suite.tasks.map(({ name, task, rows }) => ({
      name,
      prompts: rows.map((row) => formatPrompt(task.template, row)),
      labels: task.labels,
    })),
    seed,
  });
}

async function evaluate(
  ctx: TextDemoContext,
  id: string,
  model: T5RunnerModel,
  tasks: readonly PosedTextTask[] = ctx.suite.tasks,
): Promise<Evaluation> {
  const began = performance.now();
  const runner = T5Runner.create(model, { threads: ctx.threads });
  let scores: Awaited<ReturnType<typeof scoreTextTasks>>;
  try {
    scores = await scoreTextTasks(runner, ctx.suite.tokenizer, tasks, {
      batchSize: ctx.budget.evalBatch,
      // As the vision rows: a bar on a terminal, no lines in logs (one line per phase is enough).
      progress: resolveProgressMode(ctx.progress) === 'lines' ? 'none' : ctx.progress,
      label: `eval ${id}`,
      log: ctx.log,
    });
  } finally {
    await runner.dispose();
  }
  for (const task of scores.undefinedRho)
    ctx.log(`note: ${task}: every answer (or label) is the same, so Spearman's ρ is undefined; scored 0`);
  const values = Object.values(scores.perTask);
  return {
    perTask: scores.perTask,
    average: { accuracy: values.reduce((s, v) => s + v.accuracy, 0) / values.length, loss: 0 },
    entropy: {},
    compileSeconds: 0,
    runSeconds: (performance.now() - began) / 1000,
  };
}

async function runReference(row: ReferenceRow, ctx: TextDemoContext): Promise<MethodResult> {
  const { pretrained, experts, tasks } = ctx.suite;
  const count = t5ParamCount(pretrained.config);
  if (row.reference === 'pretrained') {
    const evaluation = await evaluate(ctx, row.id, pretrained);
    return methodResult(row, {
      evaluation,
      setup: 0,
      adapt: 0,
      modelInfo: { trainable_params: 0, all_params: count },
    });
  }
  const parts: Evaluation[] = [];
  for (const task of tasks)
    parts.push(
      await evaluate(ctx, row.id, { config: pretrained.config, params: experts.get(task.name)! }, [task]),
    );
  const evaluation: Evaluation = {
    perTask: Object.assign({}, ...parts.map((p) => p.perTask)),
    average: { accuracy: parts.reduce((s, p) => s + p.average.accuracy, 0) / parts.length, loss: 0 },
    entropy: {},
    compileSeconds: 0,
    runSeconds: parts.reduce((s, p) => s + p.runSeconds, 0),
  };
  const modelInfo = { trainable_params: 0, all_params: parts.length * count };
  return methodResult(row, { evaluation, setup: 0, adapt: 0, modelInfo });
}

async function runMethodRow(row: MethodRow, ctx: TextDemoContext): Promise<MethodResult> {
  const testTime = getMethod(row.method).kind === 'test-time';
  const params = { ...row.params, ...(testTime ? adaptationParams(ctx.budget, row.method) : {}) };
  const outcome = await runMethod(row.method, params, ctx.inputs, {
    log: ctx.log,
    progress: ctx.progress,
    label: `adapt ${row.id}`,
    where: `demo ${row.id}`,
  });
  let evaluation = await evaluate(ctx, row.id, outcome.model.model);
  if (outcome.model.kind === 't5-wemoe') {
    const began = performance.now();
    const routing = await t5Routing(outcome.model.model, ctx.inputs.tasks, {
      batchSize: ctx.budget.evalBatch,
      threads: ctx.threads,
    });
    evaluation = {
      ...evaluation,
      routing: routing.encoder,
      decoderRouting: routing.decoder,
      runSeconds: evaluation.runSeconds + (performance.now() - began) / 1000,
    };
  }
  return outcomeResult(row, outcome, evaluation);
}

/** Runs `row` on the text suite and scores it. */
export function runTextRow(row: DemoRow, ctx: TextDemoContext): Promise<MethodResult> {
  return 'reference' in row ? runReference(row, ctx) : runMethodRow(row, ctx);
}
