/**
 * The optional parts of report.html: the paper's findings checked, adaptation curves, routing heatmaps,
 * generalization, robustness.
 */
import { taskLabel } from './format.js';
import { htmlTable, legendHtml, paragraph, section } from './html/page.js';
import { PAPER_SHAPE_SOURCE } from './paper-shape.js';
import {
  findingsTable,
  generalizationTable,
  robustnessDetailTable,
  robustnessTable,
  scoreHeading,
} from './report-tables.js';
import type {
  GeneralizationExperiment,
  MethodResult,
  RobustnessExperiment,
  RoutingSummary,
  RunReport,
} from './report-types.js';
import { groupedBarChart } from './svg/bar-chart.js';
import { methodColors } from './svg/color.js';
import { colorLegend, heatmapGrid } from './svg/heatmap.js';
import { lineChart } from './svg/line-chart.js';
import { escapeXml } from './svg/svg.js';

const formatLossValue = (value: number) => value.toFixed(4);

/** Which of the paper's Table 2 findings this run reproduces; no section when it lacks the rows. */
export function paperShapeSections(report: RunReport): string[] {
  const findings = findingsTable(report);
  if (findings === undefined) return [];
  return [section('Against the paper', htmlTable(findings), paragraph(PAPER_SHAPE_SOURCE))];
}

/** Per-task curves of one method: one line per task that was recorded. */
function perTaskCurves(result: MethodResult, labels: Record<string, string> | undefined): string {
  const curve = result.tta?.loss_curve ?? [];
  const tasks = [...new Set(curve.flatMap((p) => Object.keys(p.per_task ?? {})))];
  if (tasks.length === 0) return '';
  const colors = methodColors(tasks.map((method) => ({ method })));
  const series = tasks.map((task) => ({
    label: taskLabel(labels, task),
    color: colors.get(task)!,
    points: curve
      .filter((p) => p.per_task?.[task] !== undefined)
      .map((p) => ({ x: p.step, y: p.per_task![task] })),
  }));
  const chart = lineChart({
    title: `${result.label}: adaptation loss per task`,
    series,
    xLabel: 'step',
    yLabel: 'entropy',
    format: formatLossValue,
    width: 480,
    height: 240,
  });
  return `<div class="small-chart"><h3>${escapeXml(result.label)}: per task</h3>${legendHtml(series)}${chart}</div>`;
}

export function ttaSection(report: RunReport, colors: Map<string, string>): string {
  const adapted = report.methods.filter((m) => (m.tta?.loss_curve.length ?? 0) > 0);
  if (adapted.length === 0) return '';
  const series = adapted.map((m) => ({
    label: m.label,
    color: colors.get(m.method)!,
    points: m.tta!.loss_curve.map((p) => ({ x: p.step, y: p.loss })),
  }));
  const chart = lineChart({
    title: 'Test-time adaptation loss',
    series,
    xLabel: 'adaptation step',
    yLabel: 'entropy loss',
    format: formatLossValue,
    width: 960,
    height: 320,
  });
  const perTask = adapted.map((m) => perTaskCurves(m, report.task_labels)).filter((html) => html !== '');
  return section(
    'Test-time adaptation',
    paragraph('Objective on unlabeled test images: sum over tasks of the mean prediction entropy.', 'note'),
    legendHtml(series),
    chart,
    perTask.length > 0 ? `<div class="grid-charts">${perTask.join('\n')}</div>` : '',
  );
}

function routingHeatmaps(
  title: string,
  routing: RoutingSummary,
  taskLabels: Record<string, string> | undefined,
): string {
  const all = routing.mean_weights.flat(2);
  const domain: [number, number] = [Math.min(...all), Math.max(...all)];
  if (domain[1] - domain[0] < 1e-6) domain[1] = domain[0] + 1e-6;
  const format = (v: number) => v.toFixed(2);
  const labels = (names: string[]) => names.map((t) => taskLabel(taskLabels, t));
  const chart = heatmapGrid({
    title: `${title}: mean routing weight per layer`,
    panels: routing.layers.map((layer, l) => ({ title: `layer ${layer}`, values: routing.mean_weights[l] })),
    rowLabels: labels(routing.tasks),
    colLabels: labels(routing.experts),
    domain,
    format,
    rowName: 'samples of',
    colName: 'expert',
    // Values fit inside cells for a few experts; with many, they stay in the tooltips.
    cell: routing.experts.length <= 6 ? 26 : 14,
  });
  const legend = colorLegend({ title: 'mean routing weight', domain, format });
  return `<h3>${escapeXml(title)}</h3>\n${legend}\n${chart}`;
}

const hasLayers = (routing: RoutingSummary | undefined): routing is RoutingSummary =>
  routing !== undefined && routing.layers.length > 0;

/** One method's heatmaps: its MLP routers, then its attention routers when the attention is upscaled. */
function methodRouting(result: MethodResult, taskLabels: Record<string, string> | undefined): string[] {
  const charts: string[] = [];
  // A T5 model's routing holds its encoder's routers, beside its decoder's.
  const stacked = hasLayers(result.decoder_routing);
  if (hasLayers(result.routing)) {
    const title = stacked ? `${result.label}, encoder routers` : result.label;
    charts.push(routingHeatmaps(title, result.routing, taskLabels));
  }
  if (hasLayers(result.decoder_routing)) {
    const title = `${result.label}, decoder routers`;
    charts.push(routingHeatmaps(title, result.decoder_routing, taskLabels));
  }
  if (hasLayers(result.attention_routing)) {
    const title = `${result.label}, attention routers`;
    charts.push(routingHeatmaps(title, result.attention_routing, taskLabels));
  }
  return charts;
}

export function routingSection(report: RunReport): string {
  const charts = report.methods.flatMap((m) => methodRouting(m, report.task_labels));
  if (charts.length === 0) return '';
  return section(
    'Routing analysis',
    paragraph(
      'Mean routing weight of each expert (columns) over the test samples of each task (rows), per upscaled ' +
        'layer. A diagonal means the router recognises the task of its input.',
      'note',
    ),
    ...charts,
  );
}

function generalizationHtml(
  experiment: GeneralizationExperiment,
  report: RunReport,
  colors: Map<string, string>,
) {
  const label = (t: string) => taskLabel(report.task_labels, t);
  const series = experiment.methods.map((m) => ({
    label: m.label,
    color: colors.get(m.method)!,
    values: [m.seen_average.accuracy * 100, m.unseen_average.accuracy * 100],
  }));
  const chart = groupedBarChart({
    title: 'Seen and unseen average accuracy',
    groups: ['Seen avg.', 'Unseen avg.'],
    series,
    yLabel: 'accuracy (%)',
    yDomain: [0, 100],
    format: (v) => `${v.toFixed(1)}%`,
    height: 260,
  });
  const text = `Merged on ${experiment.seen.map(label).join(', ')}; unseen: ${experiment.unseen.map(label).join(', ')} (each with its own head). ${scoreHeading(report)}.`;
  return section(
    'Generalization to unseen tasks',
    paragraph(text, 'note'),
    htmlTable(generalizationTable(experiment, report.task_labels, report.task_metrics)),
    legendHtml(series),
    chart,
  );
}

function robustnessHtml(experiment: RobustnessExperiment, report: RunReport, colors: Map<string, string>) {
  const series = experiment.methods.map((m) => ({
    label: m.label,
    color: colors.get(m.method)!,
    values: experiment.conditions.map((c) => c.results[m.method].average.accuracy * 100),
  }));
  const chart = groupedBarChart({
    title: 'Average accuracy per test set',
    groups: experiment.conditions.map((c) => c.label),
    series,
    yLabel: 'accuracy (%)',
    yDomain: [0, 100],
    format: (v) => `${v.toFixed(1)}%`,
  });
  const tasks = experiment.tasks.map((t) => taskLabel(report.task_labels, t)).join(', ');
  const text = `Average accuracy (%) over ${tasks} at severity ${experiment.severity}; each method merged and adapted on each test set. Best per row in bold.`;
  return section(
    'Robustness to corrupted test data',
    paragraph(text, 'note'),
    htmlTable(robustnessTable(experiment)),
    legendHtml(series),
    chart,
    robustnessDetail(experiment, report),
  );
}

/** Per-task accuracy of every (test set, method) pair, folded away by default. */
function robustnessDetail(experiment: RobustnessExperiment, report: RunReport): string {
  const table = htmlTable(robustnessDetailTable(experiment, report.task_labels));
  return `<details>\n<summary>Accuracy per task (%)</summary>\n${table}\n</details>`;
}

export function experimentSections(report: RunReport, colors: Map<string, string>): string[] {
  const { generalization, robustness } = report.experiments ?? {};
  const sections: string[] = [];
  if (generalization) sections.push(generalizationHtml(generalization, report, colors));
  if (robustness) sections.push(robustnessHtml(robustness, report, colors));
  return sections;
}
