/**
 * report.md: the paper's tables in Markdown. Table 2 (rows = methods, columns = tasks + Avg., accuracy
 * in %, best merged model per column in bold), which of the paper's findings hold, cost, settings and
 * changed hyperparameters, and, when run, the generalization table and Table 5 (robustness: rows =
 * clean + each corruption, columns = methods).
 */
import { bestMask, formatCount, formatLoss, formatSeconds, percent, taskLabel } from './format.js';
import { PAPER_SHAPE_SOURCE, paperShapeChecks } from './paper-shape.js';
import { checkRunReport } from './report-check.js';
import type { GeneralizationExperiment, RobustnessExperiment, RunReport, TaskScore } from './report-types.js';

/** Markdown inline text: backslashes, pipes and tag openers escaped, line breaks flattened. */
function cell(text: string): string {
  return text.replace(/[\\|<]/g, (c) => `\\${c}`).replace(/\s*\n\s*/g, ' ');
}

/** A Markdown table padded to column widths, so that it also reads well printed in a terminal. */
function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const all = [header.map(cell), ...rows];
  const widths = align.map((_, c) => Math.max(3, ...all.map((row) => row[c].length)));
  const pad = (text: string, c: number) =>
    align[c] === 'r' ? text.padStart(widths[c]) : text.padEnd(widths[c]);
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (align[c] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(all[0]), rule, ...rows.map(line)].join('\n');
}

function bold(text: string, isBest: boolean): string {
  return isBest ? `**${text}**` : text;
}

/**
 * Accuracy columns of `rows` (each a list of scores) with the best per column in bold; `eligible`
 * says which rows may be best.
 */
function accuracyCells(rows: TaskScore[][], eligible: boolean[]): string[][] {
  const texts = rows.map((scores) => scores.map((s) => percent(s.accuracy)));
  const columns = texts[0]?.length ?? 0;
  const cells = texts.map((row) => [...row]);
  for (let c = 0; c < columns; c++) {
    const best = bestMask(
      texts.map((row) => row[c]),
      eligible,
    );
    best.forEach((isBest, r) => {
      cells[r][c] = bold(texts[r][c], isBest);
    });
  }
  return cells;
}

/** The paper's Table 2: methods × tasks + Avg., accuracy in %. Also what the demo prints. */
export function accuracyTableMarkdown(report: RunReport): string {
  const header = ['Method', ...report.tasks.map((t) => taskLabel(report.task_labels, t)), 'Avg.'];
  const scores = report.methods.map((m) => [...report.tasks.map((t) => m.per_task[t]), m.average]);
  const cells = accuracyCells(
    scores,
    report.methods.map((m) => !m.reference),
  );
  const rows = report.methods.map((m, i) => [cell(m.label), ...cells[i]]);
  return table(header, rows, ['l', ...header.slice(1).map(() => 'r' as const)]);
}

function lossTable(report: RunReport): string {
  const header = ['Method', ...report.tasks.map((t) => taskLabel(report.task_labels, t)), 'Avg.'];
  const rows = report.methods.map((m) => [
    cell(m.label),
    ...report.tasks.map((t) => formatLoss(m.per_task[t].loss)),
    formatLoss(m.average.loss),
  ]);
  return table(header, rows, ['l', ...header.slice(1).map(() => 'r' as const)]);
}

function costTable(report: RunReport): string {
  const header = [
    'Method',
    'Trainable params',
    'Total params',
    'Setup (s)',
    'Adapt (s)',
    'Eval (s)',
    'Total (s)',
  ];
  const rows = report.methods.map((m) => [
    cell(m.label),
    formatCount(m.model_info.trainable_params),
    formatCount(m.model_info.all_params),
    formatSeconds(m.timing.setup_s),
    formatSeconds(m.timing.adapt_s),
    formatSeconds(m.timing.eval_s),
    formatSeconds(m.timing.total_s),
  ]);
  return table(header, rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']);
}

function settingsSection(report: RunReport): string {
  const { settings } = report;
  const lines = [`- Quick mode: ${settings.quick ? 'yes (fewer adaptation steps, test subsets)' : 'no'}`];
  if (settings.suite !== undefined) lines.push(`- Suite: ${settings.suite}`);
  if (settings.seed !== undefined) lines.push(`- Seed: ${settings.seed}`);
  if (settings.test_samples_per_task !== undefined) {
    lines.push(`- Test samples per task: ${settings.test_samples_per_task}`);
  }
  for (const note of settings.notes ?? []) lines.push(`- ${note}`);
  const changed = settings.changed_hyperparameters;
  const changedText =
    changed.length === 0
      ? "None: every hyperparameter is the paper's."
      : table(
          ['Hyperparameter', 'Paper', 'Used', 'Why'],
          changed.map((c) => [cell(c.name), cell(String(c.paper)), cell(String(c.used)), cell(c.why)]),
          ['l', 'r', 'r', 'l'],
        );
  return `## Settings\n\n${lines.join('\n')}\n\n### Changed hyperparameters\n\n${changedText}`;
}

/** Methods × (seen tasks, unseen tasks, seen avg., unseen avg.), accuracy in %. */
export function generalizationTableMarkdown(
  experiment: GeneralizationExperiment,
  labels?: Record<string, string>,
) {
  const tasks = [...experiment.seen, ...experiment.unseen];
  const header = [
    'Method',
    ...experiment.seen.map((t) => taskLabel(labels, t)),
    ...experiment.unseen.map((t) => `${taskLabel(labels, t)} (unseen)`),
    'Seen avg.',
    'Unseen avg.',
  ];
  const scores = experiment.methods.map((m) => [
    ...tasks.map((t) => m.per_task[t]),
    m.seen_average,
    m.unseen_average,
  ]);
  const cells = accuracyCells(
    scores,
    experiment.methods.map(() => true),
  );
  const rows = experiment.methods.map((m, i) => [cell(m.label), ...cells[i]]);
  return table(header, rows, ['l', ...header.slice(1).map(() => 'r' as const)]);
}

/** The paper's Table 5: rows = clean + each corruption, columns = methods, average accuracy in %. */
export function robustnessTableMarkdown(experiment: RobustnessExperiment): string {
  const header = ['Test set', ...experiment.methods.map((m) => m.label)];
  const rows = experiment.conditions.map((condition) => {
    const texts = experiment.methods.map((m) => percent(condition.results[m.method].average.accuracy));
    const best = bestMask(
      texts,
      texts.map(() => true),
    );
    return [cell(condition.label), ...texts.map((text, i) => bold(text, best[i]))];
  });
  return table(header, rows, ['l', ...experiment.methods.map(() => 'r' as const)]);
}

/** Per-task detail of the robustness experiment: one row per (test set, method). */
function robustnessDetailTable(experiment: RobustnessExperiment, labels?: Record<string, string>): string {
  const header = ['Test set', 'Method', ...experiment.tasks.map((t) => taskLabel(labels, t)), 'Avg.'];
  const rows = experiment.conditions.flatMap((condition) =>
    experiment.methods.map((m) => {
      const result = condition.results[m.method];
      return [
        cell(condition.label),
        cell(m.label),
        ...experiment.tasks.map((t) => percent(result.per_task[t].accuracy)),
        percent(result.average.accuracy),
      ];
    }),
  );
  return table(header, rows, ['l', 'l', ...header.slice(2).map(() => 'r' as const)]);
}

function experimentSections(report: RunReport): string[] {
  const sections: string[] = [];
  const { generalization, robustness } = report.experiments ?? {};
  if (generalization) {
    const names = (tasks: string[]) => tasks.map((t) => taskLabel(report.task_labels, t)).join(', ');
    sections.push(
      `## Generalization to unseen tasks\n\nMerged on ${names(generalization.seen)}; unseen: ` +
        `${names(generalization.unseen)} (each evaluated with its own head). Accuracy (%).\n\n` +
        generalizationTableMarkdown(generalization, report.task_labels),
    );
  }
  if (robustness) {
    const tasks = robustness.tasks.map((t) => taskLabel(report.task_labels, t)).join(', ');
    sections.push(
      `## Robustness to corrupted test data (severity ${robustness.severity})\n\n` +
        `Average accuracy (%) over ${tasks}; methods merged and adapted on each test set.\n\n` +
        `${robustnessTableMarkdown(robustness)}\n\n### Per task\n\n` +
        robustnessDetailTable(robustness, report.task_labels),
    );
  }
  return sections;
}

function headerLines(report: RunReport): string {
  const { machine } = report;
  const cpu = machine.cpu_model ? ` (${machine.cpu_model})` : '';
  const total = report.total_s === undefined ? '' : ` Total time ${formatSeconds(report.total_s)} s.`;
  return (
    `# ${cell(report.title)}\n\nRun ${report.created} on ${machine.cpus} CPUs${cpu}, Node ${machine.node}, ` +
    `onnxruntime-node ${machine.ort}.${total}`
  );
}

/** Which of the paper's Table 2 findings this run reproduces; none when it lacks the rows. */
export function paperShapeSection(report: RunReport): string[] {
  const checks = paperShapeChecks(report);
  if (checks.length === 0) return [];
  const rows = checks.map((c) => [cell(c.claim), c.paper, c.here, c.holds ? 'yes' : '**no**']);
  const checksTable = table(['Finding', 'Paper (ViT-B/32)', 'Here', 'Holds'], rows, ['l', 'r', 'r', 'l']);
  return [`## Against the paper\n\n${checksTable}\n\n${PAPER_SHAPE_SOURCE}`];
}

/** The whole report.md. */
export function renderMarkdown(report: RunReport): string {
  checkRunReport(report);
  const sections = [
    headerLines(report),
    `## Accuracy (%)\n\n${accuracyTableMarkdown(report)}\n\n` +
      'Best merged model per column in **bold**; the pre-trained model and the individual experts are references.',
    ...paperShapeSection(report),
    `## Mean test loss (cross-entropy, nats)\n\n${lossTable(report)}`,
    `## Cost\n\n${costTable(report)}`,
    ...experimentSections(report),
    settingsSection(report),
  ];
  return `${sections.join('\n\n')}\n`;
}
