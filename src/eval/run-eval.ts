/**
 * `wemoe eval` as a library call: a model folder (plain CLIP vision or WEMoE with its heads, or T5 on text
 * tasks) on the config's tasks → a one-method RunReport (FusionBench keys in report.json), written when asked.
 */
import { basename } from 'node:path';
import { loadProcessorConfig } from '../data/preprocess/config.js';
import { openTaskData } from '../data/task-data.js';
import { WemoeError } from '../errors.js';
import { openCheckpoint } from '../io/checkpoint.js';
import { clipVisionView } from '../io/clip-keys.js';
import { checkWritableFolder } from '../io/writable.js';
import { loadClipVision } from '../models/clip-vision/checkpoint.js';
import { readClipVisionConfig } from '../models/clip-vision/config.js';
import { clipParamCount } from '../models/clip-vision/params.js';
import { loadHeads } from '../models/heads.js';
import { isT5Folder } from '../models/t5/forward-file.js';
import type { TextTaskSpec } from '../models/t5/task-spec.js';
import { isT5WemoeFolder } from '../models/t5/wemoe-checkpoint.js';
import type { VisionModel } from '../models/vision-model.js';
import { isWemoeFolder, loadWemoe } from '../models/wemoe/checkpoint.js';
import { wemoeParamCounts } from '../models/wemoe/model.js';
import type { ProgressMode } from '../util/progress.js';
import { evaluateModel } from './evaluate.js';
import { machineInfo } from './machine.js';
import { accuracyTableMarkdown, generalizationTableMarkdown } from './report-markdown.js';
import type {
  GeneralizationExperiment,
  MethodResult,
  ModelInfo,
  RunReport,
  TaskMetric,
} from './report-types.js';
import { averageScore } from './summaries.js';
import { evaluateTextTasks } from './text-eval.js';
import { type ReportPaths, writeReports } from './write-reports.js';

/** What `wemoe eval` evaluates: config/eval-config.ts reads it from YAML (absolute paths). */
export interface EvalConfig {
  /** The model folder (absolute). */
  readonly model: string;
  /** The heads file; a CLIP model needs it, a T5 model none. */
  readonly heads?: string;
  /** CLIP: `data` and `split`; T5: a text rows file and the fields of TextTaskSpec. */
  readonly tasks: Readonly<
    Record<string, { readonly data: string; readonly split: string } & Partial<TextTaskSpec>>
  >;
  readonly batch_size: number;
  readonly limit?: number;
  /** Where the reports go, when anywhere. */
  readonly output?: string;
  /** Tasks evaluated that the model was not merged on (generalization); the others are seen. */
  readonly unseen_tasks?: readonly string[];
  /** The merge method, when the config was a merge config. */
  readonly method?: string;
  readonly source?: string;
}

export interface RunEvalOptions {
  /** Report folder; overrides the config's `output`. */
  readonly out?: string;
  readonly threads?: number;
  readonly progress?: ProgressMode;
  readonly log?: (line: string) => void;
}

export interface EvalOutcome {
  readonly report: RunReport;
  /** The accuracy table (Markdown), as printed. */
  readonly table: string;
  /** Where the reports went, when an output folder was given. */
  readonly paths?: ReportPaths;
}

/** Fails on a model that is not CLIP vision (by its tensors) before the heads are checked against it. */
function checkClipCheckpoint(dir: string): void {
  const source = openCheckpoint(dir);
  try {
    clipVisionView(source);
  } finally {
    source.close();
  }
}

function loadModel(dir: string): { model: VisionModel; info: ModelInfo } {
  if (isWemoeFolder(dir)) {
    const model = loadWemoe(dir);
    const counts = wemoeParamCounts(model);
    return {
      model: { kind: 'wemoe', model },
      info: { trainable_params: counts.trainable, all_params: counts.all },
    };
  }
  const { config, params } = loadClipVision(dir);
  return {
    model: { kind: 'clip', config, params },
    info: { trainable_params: 0, all_params: clipParamCount(config) },
  };
}

/** Seen (merged) and unseen tasks' scores and averages of the one evaluated model. */
function generalizationOf(
  result: MethodResult,
  tasks: readonly string[],
  config: EvalConfig,
): GeneralizationExperiment {
  const unseen = tasks.filter((t) => config.unseen_tasks?.includes(t));
  const seen = tasks.filter((t) => !unseen.includes(t));
  if (seen.length === 0)
    throw new WemoeError(
      `${config.source ?? 'eval config'}: unseen_tasks: every task is unseen; expected at least one seen task`,
    );
  return {
    seen,
    unseen,
    methods: [
      {
        method: result.method,
        label: result.label,
        per_task: result.per_task,
        seen_average: averageScore(result.per_task, seen),
        unseen_average: averageScore(result.per_task, unseen),
      },
    ],
  };
}

/** One evaluated model: its result row, the tasks in order, and notes for the report. */
interface Evaluated {
  readonly result: MethodResult;
  readonly tasks: string[];
  readonly notes: string[];
  /** Text tasks: each task's metric. */
  readonly metrics?: Record<string, TaskMetric>;
}

async function evaluateClip(config: EvalConfig, options: RunEvalOptions, began: number): Promise<Evaluated> {
  if (config.heads === undefined)
    throw new WemoeError(
      `${config.source ?? 'eval config'}: heads: a CLIP model needs the tasks' heads file`,
    );
  const clip = readClipVisionConfig(config.model);
  if (!isWemoeFolder(config.model)) checkClipCheckpoint(config.model);
  const heads = loadHeads(config.heads, clip.hiddenSize);
  const processor = loadProcessorConfig(config.model, clip.imageSize);
  const tasks = [];
  for (const [name, spec] of Object.entries(config.tasks))
    tasks.push(await openTaskData(name, spec, processor, { limit: config.limit }));
  const { model, info } = loadModel(config.model);
  const loaded = (performance.now() - began) / 1000;
  const evaluation = await evaluateModel(model, heads, tasks, {
    batchSize: config.batch_size,
    threads: options.threads,
    progress: options.progress,
    label: 'eval',
    log: options.log,
  });
  const setup = loaded + evaluation.compileSeconds;
  const result: MethodResult = {
    method: config.method ?? (model.kind === 'wemoe' ? 'wemoe' : 'model'),
    label: basename(config.model),
    per_task: evaluation.perTask,
    average: evaluation.average,
    model_info: info,
    timing: {
      setup_s: setup,
      adapt_s: 0,
      eval_s: evaluation.runSeconds,
      total_s: setup + evaluation.runSeconds,
    },
  };
  if (evaluation.routing) result.routing = evaluation.routing;
  if (evaluation.attentionRouting) result.attention_routing = evaluation.attentionRouting;
  return {
    result,
    tasks: tasks.map((t) => t.task),
    notes: [`Model: ${config.model}`, `Heads: ${config.heads}`],
  };
}

async function evaluateT5(config: EvalConfig, options: RunEvalOptions, began: number): Promise<Evaluated> {
  const tasks = Object.keys(config.tasks);
  const evaluation = await evaluateTextTasks(config.model, config.tasks, {
    batchSize: config.batch_size,
    limit: config.limit,
    threads: options.threads,
    where: config.source ?? 'eval config',
    progress: options.progress,
    log: options.log,
  });
  const setup = (performance.now() - began) / 1000 - evaluation.runSeconds;
  const result: MethodResult = {
    method: config.method ?? (isT5WemoeFolder(config.model) ? 'wemoe' : 'model'),
    label: basename(config.model),
    per_task: evaluation.perTask,
    average: averageScore(evaluation.perTask, tasks),
    model_info: evaluation.info,
    timing: {
      setup_s: setup,
      adapt_s: 0,
      eval_s: evaluation.runSeconds,
      total_s: setup + evaluation.runSeconds,
    },
  };
  if (evaluation.routing) {
    result.routing = evaluation.routing.encoder;
    result.decoder_routing = evaluation.routing.decoder;
  }
  return {
    metrics: evaluation.metrics,
    result,
    tasks,
    notes: [
      `Model: ${config.model}`,
      ...evaluation.undefinedRho.map(
        (t) => `${t}: every answer (or label) the same, Spearman's ρ undefined; scored 0`,
      ),
    ],
  };
}

/** Evaluates the config's model on its tasks; writes report.json/.md/.html when an output folder is set. */
export async function runEval(config: EvalConfig, options: RunEvalOptions = {}): Promise<EvalOutcome> {
  const began = performance.now();
  const created = new Date().toISOString();
  const out = options.out ?? config.output;
  if (out !== undefined) checkWritableFolder(out, 'the reports');
  const { result, tasks, notes, metrics } = isT5Folder(config.model)
    ? await evaluateT5(config, options, began)
    : await evaluateClip(config, options, began);
  const report: RunReport = {
    title: `Evaluation of ${basename(config.model)}`,
    created,
    machine: machineInfo(),
    settings: {
      quick: false,
      suite: config.source ?? 'eval config',
      test_samples_per_task: config.limit,
      notes,
      changed_hyperparameters: [],
    },
    tasks,
    methods: [result],
    total_s: (performance.now() - began) / 1000,
  };
  if (metrics) report.task_metrics = metrics;
  if (config.unseen_tasks?.length)
    report.experiments = { generalization: generalizationOf(result, report.tasks, config) };
  const paths = out === undefined ? undefined : writeReports(out, report);
  const table = report.experiments
    ? `${accuracyTableMarkdown(report)}\n\n${generalizationTableMarkdown(report.experiments.generalization!, undefined, metrics)}`
    : accuracyTableMarkdown(report);
  return { report, table, paths };
}
