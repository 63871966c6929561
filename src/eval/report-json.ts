/**
 * report.json. One method is FusionBench's layout (docs/formats.md):
 *   {"method", "<task>": {"accuracy", "loss"}, ..., "average", "model_info", "timing"}
 * A whole run keeps those objects under "methods" (keyed by method id) and everything the renderers
 * need besides (labels, adaptation curves, routing, experiments) next to them, so that the run can be
 * read back and rendered again:
 *   {"format": "wemoe-report/1", "title", "created", "machine", "settings", "tasks", "task_labels"?,
 *    "methods": {"<id>": <method object>}, "details": {"<id>": {"label", "reference"?, "hyperparameters"?,
 *    "tta"?, "routing"?}}, "experiments"?, "total_s"?}
 */
import { WemoeError } from '../errors.js';
import { checkRunReport } from './report-check.js';
import { type RunReportJson, runReportJsonSchema, taskScoreSchema } from './report-schema.js';
import type { MethodResult, RunReport, TaskScore } from './report-types.js';

/** The FusionBench-compatible object of one method; tasks in the given order (default: per_task's). */
export function methodReportJson(
  result: MethodResult,
  tasks: readonly string[] = Object.keys(result.per_task),
): Record<string, unknown> {
  const json: Record<string, unknown> = { method: result.method };
  for (const task of tasks) {
    const score = result.per_task[task];
    if (score === undefined)
      throw new WemoeError(`report: method "${result.method}" has no score for task "${task}"`);
    json[task] = { accuracy: score.accuracy, loss: score.loss };
  }
  const { trainable_params, all_params } = result.model_info;
  json.average = { accuracy: result.average.accuracy, loss: result.average.loss };
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
  for (const result of report.methods) {
    json.methods[result.method] = methodReportJson(result, report.tasks) as RunReportJson['methods'][string];
    json.details[result.method] = methodDetails(result);
  }
  if (report.experiments) json.experiments = report.experiments;
  if (report.total_s !== undefined) json.total_s = report.total_s;
  return json;
}

function taskScoreFrom(file: string, where: string, value: unknown): TaskScore {
  const parsed = taskScoreSchema.safeParse(value);
  if (!parsed.success) throw new WemoeError(`${file}: ${where}: expected {"accuracy", "loss"} numbers`);
  return parsed.data;
}

function methodFrom(file: string, json: RunReportJson, id: string): MethodResult {
  const object = json.methods[id];
  const details = json.details[id];
  if (details === undefined) throw new WemoeError(`${file}: details has no entry for method "${id}"`);
  const per_task: Record<string, TaskScore> = {};
  for (const task of json.tasks) per_task[task] = taskScoreFrom(file, `methods.${id}.${task}`, object[task]);
  const { trainable_params, all_params } = object.model_info;
  const result: MethodResult = {
    method: object.method,
    label: details.label,
    per_task,
    average: object.average,
    model_info: { trainable_params, all_params },
    timing: object.timing,
  };
  if (details.reference) result.reference = true;
  if (details.hyperparameters) result.hyperparameters = details.hyperparameters;
  if (details.tta) result.tta = details.tta;
  if (details.routing) result.routing = details.routing;
  if (details.attention_routing) result.attention_routing = details.attention_routing;
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
  if (json.experiments) report.experiments = json.experiments;
  if (json.total_s !== undefined) report.total_s = json.total_s;
  try {
    return checkRunReport(report);
  } catch (error) {
    throw error instanceof WemoeError ? new WemoeError(`${file}: ${error.message}`) : error;
  }
}
