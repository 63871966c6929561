/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no URL) with the accuracy table
 * and chart, the paper's findings checked, adaptation curves, WEMoE routing heatmaps, cost, experiments and settings.
 */
import { formatSeconds, taskLabel } from './format.js';
import { htmlTable, legendHtml, page, paragraph, section } from './html/page.js';
import { checkRunReport } from './report-check.js';
import {
  experimentSections,
  paperShapeSections,
  routingSection,
  ttaSection,
} from './report-html-sections.js';
import {
  accuracyTable,
  changedHyperparametersTable,
  costTable,
  isTextReport,
  lossTable,
  NO_CHANGED_HYPERPARAMETERS,
  scoreHeading,
  settingsEntries,
} from './report-tables.js';
import type { RunReport } from './report-types.js';
import { groupedBarChart } from './svg/bar-chart.js';
import { methodColors } from './svg/color.js';
import { escapeXml } from './svg/svg.js';

function headerHtml(report: RunReport): string {
  const { machine } = report;
  const cpu = machine.cpu_model ? ` (${machine.cpu_model})` : '';
  const platform = machine.platform ? `, ${machine.platform}` : '';
  const total = report.total_s === undefined ? '' : ` · total ${formatSeconds(report.total_s)} s`;
  const meta = `${report.created} · ${machine.cpus} CPUs${cpu}${platform} · Node ${machine.node} · onnxruntime-node ${machine.ort}${total}`;
  const lines = [`<h1>${escapeXml(report.title)}</h1>`, paragraph(meta, 'meta')];
  if (report.settings.quick) {
    const text = 'Quick mode: fewer adaptation steps and test subsets; numbers are rougher than a full run.';
    lines.push(`<div class="banner">${escapeXml(text)}</div>`);
  }
  return `<header>\n${lines.join('\n')}\n</header>`;
}

function accuracySection(report: RunReport, colors: Map<string, string>): string {
  const groups = [...report.tasks.map((t) => taskLabel(report.task_labels, t)), 'Avg.'];
  const series = report.methods.map((m) => ({
    label: m.label,
    color: colors.get(m.method)!,
    values: [...report.tasks.map((t) => m.per_task[t].accuracy * 100), m.average.accuracy * 100],
  }));
  const text = isTextReport(report);
  // Spearman's ρ may be negative.
  const lowest = Math.min(0, ...series.flatMap((s) => s.values));
  const chart = groupedBarChart({
    title: text ? 'Score per method per task' : 'Accuracy per method per task',
    groups,
    series,
    yLabel: text ? 'score (%)' : 'accuracy (%)',
    yDomain: [lowest, 100],
    format: (v) => `${v.toFixed(1)}%`,
  });
  return section(
    scoreHeading(report),
    htmlTable(accuracyTable(report)),
    paragraph(
      'Best merged model per column in bold; the pre-trained model and the individual experts are references.',
      'note',
    ),
    legendHtml(series),
    chart,
  );
}

function costSection(report: RunReport): string {
  // Text tasks measure no loss.
  if (isTextReport(report))
    return section('Cost', '<h3>Parameters and time</h3>', htmlTable(costTable(report)));
  return section(
    'Cost and loss',
    '<h3>Parameters and time</h3>',
    htmlTable(costTable(report)),
    '<h3>Mean test loss (cross-entropy, nats)</h3>',
    htmlTable(lossTable(report)),
  );
}

function settingsSection(report: RunReport): string {
  const { settings } = report;
  const list = `<dl>${settingsEntries(settings)
    .map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`)
    .join('')}</dl>`;
  const notes = (settings.notes ?? []).map((note) => paragraph(note, 'note'));
  const changed = changedHyperparametersTable(settings);
  const changedHtml = changed === undefined ? paragraph(NO_CHANGED_HYPERPARAMETERS) : htmlTable(changed);
  return section('Settings', list, ...notes, '<h3>Changed hyperparameters</h3>', changedHtml);
}

/** The whole report.html. */
export function renderHtml(report: RunReport): string {
  checkRunReport(report);
  const colors = methodColors([
    ...report.methods,
    ...(report.experiments?.generalization?.methods ?? []),
    ...(report.experiments?.robustness?.methods ?? []),
  ]);
  return page(report.title, [
    headerHtml(report),
    accuracySection(report, colors),
    ...paperShapeSections(report),
    ttaSection(report, colors),
    routingSection(report),
    costSection(report),
    ...experimentSections(report, colors),
    settingsSection(report),
  ]);
}
