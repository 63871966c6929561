/**
 * The rows of the paper's Table 2, each a function from the suite to a scored MethodResult: the
 * reference rows (pre-trained, individual experts), the static merges, AdaMerging and WEMoE.
 */
import type { LabeledImages } from '../data/task-data.js';
import { type EvalModel, type Evaluation, evaluateModel } from '../eval/evaluate.js';
import type { MethodResult, ModelInfo, TtaSummary } from '../eval/report-types.js';
import { adaptAdaMerging } from '../merge/adamerging.js';
import { adaptWemoe, PAPER_ROUTER_WIDTH } from '../merge/wemoe.js';
import { createAdaMerging, type Granularity, mergedParams } from '../models/adamerging/model.js';
import { clipParamCount } from '../models/clip-vision/params.js';
import type { RouterDepth } from '../models/wemoe/config.js';
import { upscaleToWemoe, wemoeParamCounts } from '../models/wemoe/model.js';
import type { UpscaledModule } from '../models/wemoe/names.js';
import type { TtaOptions, TtaResult, TtaTask } from '../tta/loop.js';
import { type ProgressMode, resolveProgressMode } from '../util/progress.js';
import type { DemoBudget } from './budget.js';
import { mergeInMemory } from './static-merge.js';
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
}

type Hyperparameters = Record<string, number | string | boolean>;

export interface DemoMethod {
  /** Id in report.json and for --methods. */
  readonly id: string;
  readonly label: string;
  readonly reference?: boolean;
  /** Runs only when --methods names it (an ablation beside the paper's table). */
  readonly onRequest?: boolean;
  /** What the row is, when its label does not say (a line under the report's settings). */
  readonly note?: string;
  run(ctx: DemoContext): Promise<MethodResult>;
}

/** The initial merging coefficient λ of task arithmetic, Ties, AdaMerging and WEMoE (the paper's 0.3). */
const LAMBDA = 0.3;
/** DARE's drop rate p: 0.5, the common default (mergekit's density 0.5, this project's default). */
const DARE_DROP_RATE = 0.5;

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

function evaluate(
  ctx: DemoContext,
  id: string,
  model: EvalModel,
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

interface Scored {
  readonly evaluation: Evaluation;
  /** Seconds of loading / merging / building before evaluation (graph compile time is added). */
  readonly setup: number;
  readonly adapt: number;
  readonly modelInfo: ModelInfo;
  readonly hyperparameters?: Hyperparameters;
  readonly tta?: TtaSummary;
}

function methodResult(method: DemoMethod, s: Scored): MethodResult {
  const setup = s.setup + s.evaluation.compileSeconds;
  const evalSeconds = s.evaluation.runSeconds;
  const result: MethodResult = {
    method: method.id,
    label: method.label,
    per_task: s.evaluation.perTask,
    average: s.evaluation.average,
    model_info: s.modelInfo,
    timing: { setup_s: setup, adapt_s: s.adapt, eval_s: evalSeconds, total_s: setup + s.adapt + evalSeconds },
  };
  if (method.reference) result.reference = true;
  if (s.hyperparameters) result.hyperparameters = s.hyperparameters;
  if (s.tta) result.tta = s.tta;
  if (s.evaluation.routing) result.routing = s.evaluation.routing;
  if (s.evaluation.attentionRouting) result.attention_routing = s.evaluation.attentionRouting;
  return result;
}

function ttaTasks(suite: DemoSuite): TtaTask[] {
  return suite.tasks.map((t) => ({ name: t.task, count: t.count, pixels: (indices) => t.pixels(indices) }));
}

function ttaOptions(ctx: DemoContext, lr: number, label: string): TtaOptions {
  const { ttaSteps, ttaBatch, schedule } = ctx.budget;
  return {
    steps: ttaSteps,
    lr,
    schedule,
    batchSize: ttaBatch,
    seed: ctx.seed,
    progress: ctx.progress,
    label,
    log: ctx.log,
  };
}

function ttaSummary(result: TtaResult): TtaSummary {
  return {
    loss_curve: result.lossCurve.map(({ step, loss, per_task }) => ({
      step,
      loss,
      per_task: { ...per_task },
    })),
  };
}

function ttaHyperparameters(ctx: DemoContext, lr: number): Hyperparameters {
  const { ttaSteps, ttaBatch, schedule } = ctx.budget;
  return { init_lambda: LAMBDA, lr, steps: ttaSteps, batch_size: ttaBatch, schedule };
}

const pretrained: DemoMethod = {
  id: 'pretrained',
  label: 'Pre-trained',
  reference: true,
  async run(ctx) {
    const { config, pretrained: params } = ctx.suite;
    const evaluation = await evaluate(ctx, this.id, { kind: 'clip', config, params });
    return methodResult(this, {
      evaluation,
      setup: 0,
      adapt: 0,
      modelInfo: { trainable_params: 0, all_params: clipParamCount(config) },
    });
  },
};

/** Each expert on its own task only: the paper's "Individual" row (T separate models). */
const individual: DemoMethod = {
  id: 'individual',
  label: 'Individual',
  reference: true,
  async run(ctx) {
    const { config, experts, tasks } = ctx.suite;
    const parts: Evaluation[] = [];
    for (const data of tasks) {
      const params = experts.get(data.task)!;
      parts.push(await evaluate(ctx, `${this.id} ${data.task}`, { kind: 'clip', config, params }, [data]));
    }
    const perTask = Object.assign({}, ...parts.map((p) => p.perTask));
    const n = parts.length;
    const evaluation: Evaluation = {
      perTask,
      average: {
        accuracy: parts.reduce((s, p) => s + p.average.accuracy, 0) / n,
        loss: parts.reduce((s, p) => s + p.average.loss, 0) / n,
      },
      entropy: Object.assign({}, ...parts.map((p) => p.entropy)),
      compileSeconds: parts.reduce((s, p) => s + p.compileSeconds, 0),
      runSeconds: parts.reduce((s, p) => s + p.runSeconds, 0),
    };
    return methodResult(this, {
      evaluation,
      setup: 0,
      adapt: 0,
      modelInfo: { trainable_params: 0, all_params: n * clipParamCount(config) },
    });
  },
};

function staticMethod(
  id: string,
  label: string,
  name: string,
  params: Hyperparameters,
  note?: string,
): DemoMethod {
  return {
    id,
    label,
    note,
    async run(ctx) {
      const began = performance.now();
      const { config, pretrained: base, experts } = ctx.suite;
      const merged = mergeInMemory(name, params, base, experts, ctx.seed);
      const setup = seconds(began);
      const evaluation = await evaluate(ctx, id, { kind: 'clip', config, params: merged });
      return methodResult(this, {
        evaluation,
        setup,
        adapt: 0,
        modelInfo: { trainable_params: 0, all_params: clipParamCount(config) },
        hyperparameters: { method: name, ...params },
      });
    },
  };
}

function adamergingMethod(granularity: Granularity): DemoMethod {
  return {
    id: `adamerging_${granularity}`,
    label: `AdaMerging (${granularity}-wise)`,
    async run(ctx) {
      const began = performance.now();
      const { config, pretrained: base, experts, heads } = ctx.suite;
      const model = createAdaMerging(config, base, experts, granularity, LAMBDA);
      const setup = seconds(began);
      const lr = ctx.budget.adamergingLr;
      const tta = await adaptAdaMerging(
        model,
        heads,
        ttaTasks(ctx.suite),
        ttaOptions(ctx, lr, `adapt ${this.id}`),
        true,
      );
      const params = mergedParams(model);
      const evaluation = await evaluate(ctx, this.id, { kind: 'clip', config, params });
      return methodResult(this, {
        evaluation,
        setup,
        adapt: tta.seconds,
        modelInfo: { trainable_params: model.lambdas.data.length, all_params: clipParamCount(config) },
        hyperparameters: { granularity, clamp: true, ...ttaHyperparameters(ctx, lr) },
        tta: ttaSummary(tta),
      });
    },
  };
}

/** A variant of WEMoE, a row after the paper's. */
interface WemoeVariant {
  /** Suffix of the method id. */
  readonly id: string;
  readonly label: string;
  readonly upscaledModules?: readonly UpscaledModule[];
  readonly batchReduce?: boolean;
  /** Runs only when --methods names it. */
  readonly onRequest: boolean;
  readonly note: string;
}

const WEMOE_VARIANTS = {
  /** The paper's ablation: the attention routed too, by its own router. */
  attention: {
    id: 'attention',
    label: '+ attention',
    upscaledModules: ['mlp', 'self_attn'],
    onRequest: true,
    note: "every block's attention is a mixture too, with its own router (the paper's ablation).",
  },
  /**
   * FusionBench's default (batch_reduce: true): one routing per batch, the mean of its samples' routing
   * weights. The demo's batches hold one task each, in adaptation and evaluation alike.
   */
  batchReduce: {
    id: 'batch_reduce',
    label: 'batch-reduced',
    batchReduce: true,
    onRequest: false,
    note:
      "one routing per batch, the mean of its images' routing weights (FusionBench's default); every batch " +
      'here holds one task. The paper, and the other WEMoE rows, route each image.',
  },
} as const satisfies Record<string, WemoeVariant>;

/** WEMoE with routers of `depth`: the paper's method, or a variant of it. */
function wemoeMethod(depth: RouterDepth, variant?: WemoeVariant): DemoMethod {
  const upscaledModules = variant?.upscaledModules ?? ['mlp'];
  const batchReduce = variant?.batchReduce ?? false;
  return {
    id: `wemoe_depth${depth}${variant ? `_${variant.id}` : ''}`,
    label: `WEMoE (depth ${depth}${variant ? `, ${variant.label}` : ''})`,
    onRequest: variant?.onRequest,
    note: variant?.note,
    async run(ctx) {
      const began = performance.now();
      const { config, pretrained: base, experts, heads } = ctx.suite;
      const model = upscaleToWemoe(config, base, experts, {
        routerDepth: depth,
        initLambda: LAMBDA,
        upscaledModules,
        batchReduce,
        seed: ctx.seed,
      });
      const setup = seconds(began);
      const lr = ctx.budget.wemoeLr;
      const tta = await adaptWemoe(
        model,
        heads,
        ttaTasks(ctx.suite),
        ttaOptions(ctx, lr, `adapt ${this.id}`),
      );
      const evaluation = await evaluate(ctx, this.id, { kind: 'wemoe', model });
      const counts = wemoeParamCounts(model);
      return methodResult(this, {
        evaluation,
        setup,
        adapt: tta.seconds,
        modelInfo: { trainable_params: counts.trainable, all_params: counts.all },
        hyperparameters: {
          router_depth: depth,
          batch_reduce: batchReduce,
          upscaled_layers: 'all',
          upscaled_modules: upscaledModules.join(','),
          ...ttaHyperparameters(ctx, lr),
          lr_reference_width: PAPER_ROUTER_WIDTH,
        },
        tta: ttaSummary(tta),
      });
    },
  };
}

/** The rows of the paper's Table 2, in its order, then WEMoE's variants (`onRequest` ones only when named). */
export const DEMO_METHODS: readonly DemoMethod[] = [
  pretrained,
  individual,
  staticMethod('weight_averaging', 'Weight averaging', 'simple_average', {}),
  staticMethod('task_arithmetic', 'Task arithmetic', 'task_arithmetic', { scaling_factor: LAMBDA }),
  staticMethod('ties', 'Ties-Merging', 'ties', { scaling_factor: LAMBDA, threshold: 20, merge_func: 'sum' }),
  staticMethod(
    'dare_ties',
    'DARE-Ties',
    'dare',
    { drop_rate: DARE_DROP_RATE, merge: 'ties', scaling_factor: LAMBDA, threshold: 20 },
    `drop rate p = ${DARE_DROP_RATE} (the common default), then Ties with k = 20, λ = ${LAMBDA}.`,
  ),
  adamergingMethod('task'),
  adamergingMethod('layer'),
  wemoeMethod(0),
  wemoeMethod(1),
  wemoeMethod(2),
  wemoeMethod(2, WEMOE_VARIANTS.attention),
  wemoeMethod(2, WEMOE_VARIANTS.batchReduce),
];
