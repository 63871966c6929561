/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no URL) with the accuracy table
 * and chart, the paper's findings checked, adaptation curves, WEMoE routing heatmaps, cost, experiments and settings.
 */
import { formatCount, formatLoss, formatSeconds, percent, taskLabel } from './format.js';
import {
  bestPerColumnRows,
  type Cell,
  htmlTable,
  legendHtml,
  numericCells,
  page,
  paragraph,
  type Row,
  section,
} from './html/page.js';
import { checkRunReport } from './report-check.js';
import {
  experimentSections,
  paperShapeSections,
  routingSection,
  ttaSection,
} from './report-html-sections.js';
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

function accuracyTable(report: RunReport): string {
  const header: Cell[] = [
    { text: 'Method' },
    ...numericCells([...report.tasks.map((t) => taskLabel(report.task_labels, t)), 'Avg.']),
  ];
  const texts = report.methods.map((m) =>
    [...report.tasks.map((t) => m.per_task[t]), m.average].map((s) => percent(s.accuracy)),
  );
  const rows = bestPerColumnRows(
    report.methods.map((m) => m.label),
    texts,
    report.methods.map((m) => !m.reference),
    report.methods.map((m) => m.reference === true),
  );
  return htmlTable(header, rows);
}

function accuracySection(report: RunReport, colors: Map<string, string>): string {
  const groups = [...report.tasks.map((t) => taskLabel(report.task_labels, t)), 'Avg.'];
  const series = report.methods.map((m) => ({
    label: m.label,
    color: colors.get(m.method)!,
    values: [...report.tasks.map((t) => m.per_task[t].accuracy * 100), m.average.accuracy * 100],
  }));
  const chart = groupedBarChart({
    title: 'Accuracy per method per task',
    groups,
    series,
    yLabel: 'accuracy (%)',
    yDomain: [0, 100],
    format: (v) => `${v.toFixed(1)}%`,
  });
  return section(
    'Accuracy (%)',
    accuracyTable(report),
    paragraph(
      'Best merged model per column in bold; the pre-trained model and the individual experts are references.',
      'note',
    ),
    legendHtml(series),
    chart,
  );
}

function costTable(report: RunReport): string {
  const header: Cell[] = [
    { text: 'Method' },
    ...numericCells(['Trainable params', 'Total params', 'Setup (s)', 'Adapt (s)', 'Eval (s)', 'Total (s)']),
  ];
  const rows: Row[] = report.methods.map(({ label, reference, model_info: info, timing }) => ({
    reference,
    cells: [
      { text: label },
      ...numericCells([formatCount(info.trainable_params), formatCount(info.all_params)]),
      ...numericCells([timing.setup_s, timing.adapt_s, timing.eval_s, timing.total_s].map(formatSeconds)),
    ],
  }));
  return htmlTable(header, rows);
}

function lossTable(report: RunReport): string {
  const header: Cell[] = [
    { text: 'Method' },
    ...numericCells([...report.tasks.map((t) => taskLabel(report.task_labels, t)), 'Avg.']),
  ];
  const rows: Row[] = report.methods.map((m) => ({
    reference: m.reference,
    cells: [
      { text: m.label },
      ...numericCells([...report.tasks.map((t) => m.per_task[t].loss), m.average.loss].map(formatLoss)),
    ],
  }));
  return htmlTable(header, rows);
}

function costSection(report: RunReport): string {
  return section(
    'Cost and loss',
    '<h3>Parameters and time</h3>',
    costTable(report),
    '<h3>Mean test loss (cross-entropy, nats)</h3>',
    lossTable(report),
  );
}

function settingsSection(report: RunReport): string {
  const { settings } = report;
  const entries: [string, string][] = [['Quick mode', settings.quick ? 'yes' : 'no']];
  if (settings.suite !== undefined) entries.push(['Suite', settings.suite]);
  if (settings.seed !== undefined) entries.push(['Seed', String(settings.seed)]);
  if (settings.test_samples_per_task !== undefined)
    entries.push(['Test samples per task', String(settings.test_samples_per_task)]);
  const list = `<dl>${entries.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join('')}</dl>`;
  const notes = (settings.notes ?? []).map((note) => paragraph(note, 'note'));
  const changed = settings.changed_hyperparameters;
  const changedHtml =
    changed.length === 0
      ? paragraph("None: every hyperparameter is the paper's.")
      : htmlTable(
          ['Hyperparameter', 'Paper', 'Used', 'Why'].map((text, i) => ({
            text,
            numeric: i === 1 || i === 2,
          })),
          changed.map((c) => ({
            cells: [
              { text: c.name },
              { text: String(c.paper), numeric: true },
              { text: String(c.used), numeric: true },
              { text: c.why, wrap: true },
            ],
          })),
        );
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
