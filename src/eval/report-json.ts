/**
 * report.json. One method is FusionBench's layout (docs/formats.md):
 *   {"method", "<task>": {"accuracy", "loss"}, ..., "average", "model_info", "timing"}
 * Text tasks as FusionBench's Flan-T5 GLUE task pool writes them: {"accuracy"} or, for a Spearman task
 * (STS-B), {"spearman_rho"}, no loss (none is measured); the average {"accuracy"} is the tasks' mean.
 * A whole run keeps those objects under "methods" (keyed by method id) and everything the renderers
 * need besides (labels, adaptation curves, routing, experiments) next to them, so that the run can be
 * read back and rendered again:
 *   {"format": "wemoe-report/1", "title", "created", "machine", "settings", "tasks", "task_labels"?,
 *    "task_metrics"? (text tasks: "accuracy" or "spearman" per task),
 *    "methods": {"<id>": <method object>}, "details": {"<id>": {"label", "reference"?, "hyperparameters"?,
 *    "tta"?, "routing"?}}, "experiments"?, "total_s"?}
 */
import { WemoeError } from '../errors.js';
import { checkRunReport } from './report-check.js';
import {
  type RunReportJson,
  runReportJsonSchema,
  taskScoreSchema,
  textScoreSchema,
} from './report-schema.js';
import type { MethodResult, RunReport, TaskMetric, TaskScore } from './report-types.js';

/** A task's score as FusionBench writes it: image tasks {accuracy, loss}; text tasks their one metric. */
function scoreJson(score: TaskScore, metric: TaskMetric | undefined): Record<string, number> {
  if (metric === undefined) return { accuracy: score.accuracy, loss: score.loss };
  return metric === 'spearman' ? { spearman_rho: score.accuracy } : { accuracy: score.accuracy };
}

/**
 * The FusionBench-compatible object of one method; tasks in the given order (default: per_task's); with
 * `metrics`, the tasks are text tasks.
 */
export function methodReportJson(
  result: MethodResult,
  tasks: readonly string[] = Object.keys(result.per_task),
  metrics?: Readonly<Record<string, TaskMetric>>,
): Record<string, unknown> {
  const json: Record<string, unknown> = { method: result.method };
  for (const task of tasks) {
    const score = result.per_task[task];
    if (score === undefined)
      throw new WemoeError(`report: method "${result.method}" has no score for task "${task}"`);
    json[task] = scoreJson(score, metrics && (metrics[task] ?? 'accuracy'));
  }
  const { trainable_params, all_params } = result.model_info;
  json.average = scoreJson(result.average, metrics && 'accuracy');
  json.model_info = {
    trainable_params,
    all_params,
    trainable_percentage: all_params > 0 ? trainable_params / all_params : 0,
  };
  json.timing = { ...result.timing };
  return json;
}

function methodDetails(result: MethodResult): RunReportJson['details'][string] {
  const details: RunReportJson['details'][string] = { label: result.label };
  if (result.reference) details.reference = true;
  if (result.hyperparameters) details.hyperparameters = result.hyperparameters;
  if (result.tta) details.tta = result.tta;
  if (result.routing) details.routing = result.routing;
  if (result.attention_routing) details.attention_routing = result.attention_routing;
  if (result.decoder_routing) details.decoder_routing = result.decoder_routing;
  return details;
}

/** The whole run as report.json's object (checked for consistency first). */
export function runReportJson(report: RunReport): RunReportJson {
  checkRunReport(report);
  const json: RunReportJson = {
    format: 'wemoe-report/1',
    title: report.title,
    created: report.created,
    machine: report.machine,
    settings: report.settings,
    tasks: report.tasks,
    methods: {},
    details: {},
  };
  if (report.task_labels) json.task_labels = report.task_labels;
  if (report.task_metrics) json.task_metrics = report.task_metrics;
  for (const result of report.methods) {
    json.methods[result.method] = methodReportJson(
      result,
      report.tasks,
      report.task_metrics,
    ) as RunReportJson['methods'][string];
    json.details[result.method] = methodDetails(result);
  }
  if (report.experiments) json.experiments = report.experiments;
  if (report.total_s !== undefined) json.total_s = report.total_s;
  return json;
}

function taskScoreFrom(file: string, where: string, value: unknown, metric?: TaskMetric): TaskScore {
  if (metric !== undefined) {
    const key = metric === 'spearman' ? 'spearman_rho' : 'accuracy';
    const parsed = textScoreSchema(key).safeParse(value);
    if (!parsed.success) throw new WemoeError(`${file}: ${where}: expected {"${key}"}, a number`);
    return { accuracy: parsed.data[key], loss: 0 };
  }
  const parsed = taskScoreSchema.safeParse(value);
  if (!parsed.success) throw new WemoeError(`${file}: ${where}: expected {"accuracy", "loss"} numbers`);
  return parsed.data;
}

function methodFrom(file: string, json: RunReportJson, id: string): MethodResult {
  const object = json.methods[id];
  const details = json.details[id];
  if (details === undefined) throw new WemoeError(`${file}: details has no entry for method "${id}"`);
  const metrics = json.task_metrics;
  const per_task: Record<string, TaskScore> = {};
  for (const task of json.tasks)
    per_task[task] = taskScoreFrom(
      file,
      `methods.${id}.${task}`,
      object[task],
      metrics && (metrics[task] ?? 'accuracy'),
    );
  const { trainable_params, all_params } = object.model_info;
  const result: MethodResult = {
    method: object.method,
    label: details.label,
    per_task,
    average: taskScoreFrom(file, `methods.${id}.average`, object.average, metrics && 'accuracy'),
    model_info: { trainable_params, all_params },
    timing: object.timing,
  };
  if (details.reference) result.reference = true;
  if (details.hyperparameters) result.hyperparameters = details.hyperparameters;
  if (details.tta) result.tta = details.tta;
  if (details.routing) result.routing = details.routing;
  if (details.attention_routing) result.attention_routing = details.attention_routing;
  if (details.decoder_routing) result.decoder_routing = details.decoder_routing;
  return result;
}

/** Reads back what runReportJson wrote; `file` names the source in error messages. */
export function runReportFromJson(value: unknown, file: string): RunReport {
  const parsed = runReportJsonSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map(String).join('.') || '(top level)';
    throw new WemoeError(`${file}: ${where}: ${issue.message} (expected a wemoe-report/1 report.json)`);
  }
  const json = parsed.data;
  const report: RunReport = {
    title: json.title,
    created: json.created,
    machine: json.machine,
    settings: json.settings,
    tasks: json.tasks,
    methods: Object.keys(json.methods).map((id) => methodFrom(file, json, id)),
  };
  if (json.task_labels) report.task_labels = json.task_labels;
  if (json.task_metrics) report.task_metrics = json.task_metrics;
  if (json.experiments) report.experiments = json.experiments;
  if (json.total_s !== undefined) report.total_s = json.total_s;
  try {
    return checkRunReport(report);
  } catch (error) {
    throw error instanceof WemoeError ? new WemoeError(`${file}: ${error.message}`) : error;
  }
}
