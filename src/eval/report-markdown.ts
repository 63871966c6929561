/**
 * report.md: the paper's tables in Markdown. Table 2 (rows = methods, columns = tasks + Avg., accuracy
 * in %, best merged model per column in bold), which of the paper's findings hold, cost, settings and
 * changed hyperparameters, and, when run, the generalization table and Table 5 (robustness: rows =
 * clean + each corruption, columns = methods). The tables come from report-tables.ts.
 */
import { formatSeconds, taskLabel } from './format.js';
import { PAPER_SHAPE_SOURCE } from './paper-shape.js';
import { checkRunReport } from './report-check.js';
import {
  accuracyTable,
  changedHyperparametersTable,
  costTable,
  findingsTable,
  generalizationTable,
  isTextReport,
  lossTable,
  NO_CHANGED_HYPERPARAMETERS,
  type ReportTable,
  robustnessDetailTable,
  robustnessTable,
  scoreHeading,
  settingsEntries,
} from './report-tables.js';
import type {
  GeneralizationExperiment,
  RobustnessExperiment,
  RunReport,
  TaskMetric,
} from './report-types.js';

/** Markdown inline text: backslashes, pipes and tag openers escaped, line breaks flattened. */
function inline(text: string): string {
  return text.replace(/[\\|<]/g, (c) => `\\${c}`).replace(/\s*\n\s*/g, ' ');
}

/** A Markdown table padded to column widths, so that it also reads well printed in a terminal. */
export function markdownTable(table: ReportTable): string {
  const header = table.columns.map((column) => inline(column.title));
  const rows = table.rows.map((row) =>
    row.cells.map((cell) => (cell.strong ? `**${inline(cell.text)}**` : inline(cell.text))),
  );
  const right = table.columns.map((column) => column.numeric === true);
  const widths = header.map((_, c) => Math.max(3, ...[header, ...rows].map((row) => row[c].length)));
  const pad = (text: string, c: number) => (right[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]));
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (right[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The paper's Table 2: methods × tasks + Avg., accuracy in %. Also what the demo prints. */
export function accuracyTableMarkdown(report: RunReport): string {
  return markdownTable(accuracyTable(report));
}

/** Methods × (seen tasks, unseen tasks, seen avg., unseen avg.), accuracy in %. */
export function generalizationTableMarkdown(
  experiment: GeneralizationExperiment,
  labels?: Record<string, string>,
  metrics?: Record<string, TaskMetric>,
): string {
  return markdownTable(generalizationTable(experiment, labels, metrics));
}

/** The paper's Table 5: rows = clean + each corruption, columns = methods, average accuracy in %. */
export function robustnessTableMarkdown(experiment: RobustnessExperiment): string {
  return markdownTable(robustnessTable(experiment));
}

/** Which of the paper's Table 2 findings this run reproduces; none when it lacks the rows. */
export function paperShapeSection(report: RunReport): string[] {
  const findings = findingsTable(report);
  if (findings === undefined) return [];
  return [`## Against the paper\n\n${markdownTable(findings)}\n\n${PAPER_SHAPE_SOURCE}`];
}

function settingsSection(report: RunReport): string {
  const { settings } = report;
  const lines = [
    ...settingsEntries(settings).map(([name, value]) => `- ${name}: ${value}`),
    ...(settings.notes ?? []).map((note) => `- ${note}`),
  ];
  const changed = changedHyperparametersTable(settings);
  const changedText = changed === undefined ? NO_CHANGED_HYPERPARAMETERS : markdownTable(changed);
  return `## Settings\n\n${lines.join('\n')}\n\n### Changed hyperparameters\n\n${changedText}`;
}

function experimentSections(report: RunReport): string[] {
  const sections: string[] = [];
  const { generalization, robustness } = report.experiments ?? {};
  if (generalization) {
    const names = (tasks: string[]) => tasks.map((t) => taskLabel(report.task_labels, t)).join(', ');
    sections.push(
      `## Generalization to unseen tasks\n\nMerged on ${names(generalization.seen)}; unseen: ` +
        `${names(generalization.unseen)} (each evaluated with its own head). ${scoreHeading(report)}.\n\n` +
        generalizationTableMarkdown(generalization, report.task_labels, report.task_metrics),
    );
  }
  if (robustness) {
    const tasks = robustness.tasks.map((t) => taskLabel(report.task_labels, t)).join(', ');
    sections.push(
      `## Robustness to corrupted test data (severity ${robustness.severity})\n\n` +
        `Average accuracy (%) over ${tasks}; methods merged and adapted on each test set.\n\n` +
        `${robustnessTableMarkdown(robustness)}\n\n### Per task\n\n` +
        markdownTable(robustnessDetailTable(robustness, report.task_labels)),
    );
  }
  return sections;
}

function headerLines(report: RunReport): string {
  const { machine } = report;
  const cpu = machine.cpu_model ? ` (${machine.cpu_model})` : '';
  const total = report.total_s === undefined ? '' : ` Total time ${formatSeconds(report.total_s)} s.`;
  return (
    `# ${inline(report.title)}\n\nRun ${report.created} on ${machine.cpus} CPUs${cpu}, Node ${machine.node}, ` +
    `onnxruntime-node ${machine.ort}.${total}`
  );
}

/** The whole report.md. */
export function renderMarkdown(report: RunReport): string {
  checkRunReport(report);
  const sections = [
    headerLines(report),
    `## ${scoreHeading(report)}\n\n${accuracyTableMarkdown(report)}\n\n` +
      'Best merged model per column in **bold**; the pre-trained model and the individual experts are references.',
    ...paperShapeSection(report),
    // Text tasks measure no loss.
    ...(isTextReport(report)
      ? []
      : [`## Mean test loss (cross-entropy, nats)\n\n${markdownTable(lossTable(report))}`]),
    `## Cost\n\n${markdownTable(costTable(report))}`,
    ...experimentSections(report),
    settingsSection(report),
  ];
  return `${sections.join('\n\n')}\n`;
}
