/**
 * Consistency checks of a RunReport before it is rendered: every method scores every task, ids are
 * unique, routing and robustness tables have the shapes their headers promise, numbers are finite.
 * A failure is a WemoeError naming where in the report the problem is.
 */
import { WemoeError } from '../errors.js';
import type {
  GeneralizationExperiment,
  MethodResult,
  RobustnessExperiment,
  RoutingSummary,
  RunReport,
  TaskScore,
} from './report-types.js';

/** Keys of a FusionBench method object in report.json that a task name must not shadow. */
export const RESERVED_KEYS = ['method', 'label', 'average', 'model_info', 'timing'] as const;

function fail(where: string, problem: string): never {
  throw new WemoeError(`report: ${where}: ${problem}`);
}

function checkFinite(where: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(where, `is ${value}, expected a finite number`);
}

/** The lowest score a task (or an average) may have: Spearman's ρ may be negative. */
type Lowest = 0 | -1;

function checkScore(where: string, score: TaskScore | undefined, lowest: Lowest = 0): void {
  if (score === undefined) fail(where, 'is missing');
  checkFinite(`${where}.accuracy`, score.accuracy);
  if (score.accuracy < lowest || score.accuracy > 1)
    fail(`${where}.accuracy`, `is ${score.accuracy}, expected [${lowest}, 1]`);
  checkFinite(`${where}.loss`, score.loss);
}

/** Per task, and for averages ('*'), the lowest score allowed by the run's metrics. */
type Floors = (task: string) => Lowest;

function floorsOf(report: RunReport): Floors {
  const metrics = report.task_metrics;
  const anyRho = report.tasks.some((t) => metrics?.[t] === 'spearman');
  return (task) => (task === '*' ? (anyRho ? -1 : 0) : metrics?.[task] === 'spearman' ? -1 : 0);
}

/** task_metrics names every task of the main table and no other. */
function checkMetrics(report: RunReport): void {
  const metrics = report.task_metrics;
  if (metrics === undefined) return;
  for (const task of report.tasks)
    if (metrics[task] === undefined) fail(`task_metrics`, `has no metric for task "${task}"`);
  for (const task of Object.keys(metrics))
    if (!report.tasks.includes(task)) fail(`task_metrics.${task}`, 'names no task of tasks');
}

function checkUnique(where: string, names: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') fail(where, 'has an empty name');
    if (seen.has(name)) fail(where, `has "${name}" twice`);
    seen.add(name);
  }
}

function checkPerTask(
  where: string,
  perTask: Record<string, TaskScore>,
  tasks: string[],
  floors: Floors,
): void {
  for (const task of tasks) checkScore(`${where}.per_task.${task}`, perTask[task], floors(task));
}

function checkRouting(where: string, routing: RoutingSummary): void {
  const { layers, experts, tasks, mean_weights: weights } = routing;
  const field = where.slice(where.lastIndexOf('.') + 1); // routing, attention_routing or decoder_routing
  if (weights.length !== layers.length) {
    fail(
      `${where}.mean_weights`,
      `has ${weights.length} layers, expected ${layers.length} (${field}.layers)`,
    );
  }
  weights.forEach((layer, l) => {
    if (layer.length !== tasks.length) {
      fail(
        `${where}.mean_weights[${l}]`,
        `has ${layer.length} task rows, expected ${tasks.length} (${field}.tasks)`,
      );
    }
    layer.forEach((row, t) => {
      if (row.length !== experts.length) {
        fail(
          `${where}.mean_weights[${l}][${t}]`,
          `has ${row.length} values, expected ${experts.length} (experts)`,
        );
      }
      row.forEach((value, e) => {
        checkFinite(`${where}.mean_weights[${l}][${t}][${e}]`, value);
      });
    });
  });
}

function checkMethod(where: string, result: MethodResult, tasks: string[], floors: Floors): void {
  checkPerTask(where, result.per_task, tasks, floors);
  checkScore(`${where}.average`, result.average, floors('*'));
  for (const [key, value] of Object.entries(result.model_info))
    checkFinite(`${where}.model_info.${key}`, value);
  for (const [key, value] of Object.entries(result.timing)) checkFinite(`${where}.timing.${key}`, value);
  result.tta?.loss_curve.forEach((point, i) => {
    checkFinite(`${where}.tta.loss_curve[${i}].step`, point.step);
    checkFinite(`${where}.tta.loss_curve[${i}].loss`, point.loss);
  });
  if (result.routing) checkRouting(`${where}.routing`, result.routing);
  if (result.attention_routing) checkRouting(`${where}.attention_routing`, result.attention_routing);
  if (result.decoder_routing) checkRouting(`${where}.decoder_routing`, result.decoder_routing);
}

function checkGeneralization(experiment: GeneralizationExperiment, floors: Floors): void {
  const tasks = [...experiment.seen, ...experiment.unseen];
  checkUnique('experiments.generalization tasks', tasks);
  checkUnique(
    'experiments.generalization.methods',
    experiment.methods.map((m) => m.method),
  );
  experiment.methods.forEach((result, i) => {
    const where = `experiments.generalization.methods[${i}] "${result.method}"`;
    checkPerTask(where, result.per_task, tasks, floors);
    checkScore(`${where}.seen_average`, result.seen_average, floors('*'));
    checkScore(`${where}.unseen_average`, result.unseen_average, floors('*'));
  });
}

function checkRobustness(experiment: RobustnessExperiment, floors: Floors): void {
  checkUnique('experiments.robustness.tasks', experiment.tasks);
  checkUnique(
    'experiments.robustness.methods',
    experiment.methods.map((m) => m.method),
  );
  checkUnique(
    'experiments.robustness.conditions',
    experiment.conditions.map((c) => c.name),
  );
  for (const condition of experiment.conditions) {
    for (const { method } of experiment.methods) {
      const where = `experiments.robustness condition "${condition.name}" method "${method}"`;
      const result = condition.results[method];
      if (result === undefined) fail(where, 'has no result');
      checkPerTask(where, result.per_task, experiment.tasks, floors);
      checkScore(`${where}.average`, result.average, floors('*'));
    }
  }
}

/** Throws a one-line WemoeError at the first inconsistency; returns the report unchanged otherwise. */
export function checkRunReport(report: RunReport): RunReport {
  checkUnique('tasks', report.tasks);
  for (const task of report.tasks) {
    if ((RESERVED_KEYS as readonly string[]).includes(task)) {
      fail('tasks', `"${task}" is reserved for report.json keys (${RESERVED_KEYS.join(', ')})`);
    }
  }
  checkUnique(
    'methods',
    report.methods.map((m) => m.method),
  );
  checkMetrics(report);
  const floors = floorsOf(report);
  report.methods.forEach((result, i) => {
    checkMethod(`methods[${i}] "${result.method}"`, result, report.tasks, floors);
  });
  if (report.experiments?.generalization) checkGeneralization(report.experiments.generalization, floors);
  if (report.experiments?.robustness) checkRobustness(report.experiments.robustness, floors);
  return report;
}
