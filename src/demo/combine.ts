/**
 * `wemoe demo --suite all`: the vision and the text demo's tables as one report, one column per task of
 * both suites (images scored by accuracy, text by its GLUE metric), each row's models, times and
 * parameters summed. Routing heatmaps and loss curves stay in each suite's own report.
 */
import { join } from 'node:path';
import { accuracyTableMarkdown, paperShapeSection } from '../eval/report-markdown.js';
import type { MethodResult, RunReport, TaskMetric } from '../eval/report-types.js';
import { writeReports } from '../eval/write-reports.js';
import { checkWritableFolder } from '../io/writable.js';
import { type DemoOptions, type DemoOutcome, runDemo } from './run-demo.js';
import type { DemoSuite } from './suite.js';
import type { TextDemoSuite } from './text-suite.js';

function combineRows(a: MethodResult, b: MethodResult, tasks: readonly string[]): MethodResult {
  const per_task = { ...a.per_task, ...b.per_task };
  const accuracy = tasks.reduce((s, t) => s + per_task[t].accuracy, 0) / tasks.length;
  const row: MethodResult = {
    method: a.method,
    label: a.label,
    per_task,
    // The text tasks measure no loss: the joint table shows scores only.
    average: { accuracy, loss: 0 },
    model_info: {
      trainable_params: a.model_info.trainable_params + b.model_info.trainable_params,
      all_params: a.model_info.all_params + b.model_info.all_params,
    },
    timing: {
      setup_s: a.timing.setup_s + b.timing.setup_s,
      adapt_s: a.timing.adapt_s + b.timing.adapt_s,
      eval_s: a.timing.eval_s + b.timing.eval_s,
      total_s: a.timing.total_s + b.timing.total_s,
    },
  };
  if (a.reference) row.reference = true;
  return row;
}

/** One report of `vision`'s and `text`'s rows (the rows both ran), `where` naming their own reports. */
export function combineReports(
  vision: RunReport,
  text: RunReport,
  where: { readonly vision: string; readonly text: string },
): RunReport {
  const tasks = [...vision.tasks, ...text.tasks];
  const metrics: Record<string, TaskMetric> = Object.fromEntries(vision.tasks.map((t) => [t, 'accuracy']));
  Object.assign(metrics, text.task_metrics);
  const methods = vision.methods.flatMap((v) => {
    const t = text.methods.find((m) => m.method === v.method);
    return t ? [combineRows(v, t, tasks)] : [];
  });
  const prefixed = (suite: string, report: RunReport) =>
    report.settings.changed_hyperparameters.map((c) => ({ ...c, name: `${suite}: ${c.name}` }));
  return {
    title: `WEMoE demo: every method on the ${vision.settings.suite} and the ${text.settings.suite}`,
    created: vision.created,
    machine: vision.machine,
    settings: {
      quick: vision.settings.quick,
      seed: vision.settings.seed,
      suite: `${vision.settings.suite} + ${text.settings.suite}`,
      notes: [
        `Images (accuracy) and text (GLUE metric: accuracy, Spearman's ρ for STS-B) in one table; the average is over all ${tasks.length} tasks, each row's parameters and times are its two models' sums.`,
        `Each suite's own report, with its routing heatmaps, loss curves and settings: ${where.vision} and ${where.text}.`,
      ],
      changed_hyperparameters: [...prefixed('vision', vision), ...prefixed('text', text)],
    },
    tasks,
    task_labels: { ...vision.task_labels, ...text.task_labels },
    task_metrics: metrics,
    methods,
    total_s: (vision.total_s ?? 0) + (text.total_s ?? 0),
  };
}

/**
 * Runs the demo on both suites, each into its own folder under `options.out` (vision/, text/), then writes
 * the joint report into `options.out`; `options.budget`, when given, is both suites' budget.
 */
export async function runAllDemos(
  suites: { readonly vision: DemoSuite; readonly text: TextDemoSuite },
  options: DemoOptions,
): Promise<DemoOutcome> {
  checkWritableFolder(options.out, 'the demo reports');
  const dirs = { vision: join(options.out, 'vision'), text: join(options.out, 'text') };
  const vision = await runDemo(suites.vision, { ...options, out: dirs.vision });
  const text = await runDemo(suites.text, { ...options, out: dirs.text });
  const report = combineReports(vision.report, text.report, {
    vision: vision.paths.html,
    text: text.paths.html,
  });
  const paths = writeReports(options.out, report);
  const table = [accuracyTableMarkdown(report), ...paperShapeSection(report)].join('\n\n');
  return { report, paths, table, web: vision.web };
}
