/**
 * Every table the reports show, derived once from a run's data as plain text cells with their
 * emphasis; report.md and report.html only render these, so the two cannot disagree.
 */
import { bestMask, formatCount, formatLoss, formatSeconds, percent, taskLabel } from './format.js';
import { paperShapeChecks } from './paper-shape.js';
import type {
  GeneralizationExperiment,
  RobustnessExperiment,
  RunReport,
  RunSettings,
  TaskMetric,
} from './report-types.js';

export interface TableColumn {
  title: string;
  /** Numbers: right-aligned. */
  numeric?: boolean;
  /** Prose that may wrap in the HTML page. */
  wrap?: boolean;
}

export interface TableCell {
  /** Plain text; each renderer escapes it. */
  text: string;
  /** Shown in bold: the best value of its column or row, or a finding that does not hold. */
  strong?: boolean;
}

export interface TableRow {
  cells: TableCell[];
  /** A reference row (the pre-trained model, the individual experts): never best, muted in HTML. */
  reference?: boolean;
}

/** A renderer-neutral table: one cell per column in every row. */
export interface ReportTable {
  columns: TableColumn[];
  rows: TableRow[];
}

const numeric = (title: string): TableColumn => ({ title, numeric: true });
const plain = (text: string): TableCell => ({ text });

/**
 * Cells of `texts` (rows of displayed values) with the best of each column strong; `eligible[r]` says
 * whether row r may be best.
 */
function bestPerColumn(texts: string[][], eligible: boolean[]): TableCell[][] {
  const best = (texts[0] ?? []).map((_, c) =>
    bestMask(
      texts.map((row) => row[c]),
      eligible,
    ),
  );
  return texts.map((row, r) => row.map((text, c) => ({ text, strong: best[c][r] })));
}

/** A task's column title: its label, marked (ρ) when its score is Spearman's ρ. */
function taskColumnTitle(
  task: string,
  labels: Record<string, string> | undefined,
  metrics: Record<string, TaskMetric> | undefined,
): string {
  const label = taskLabel(labels, task);
  return metrics?.[task] === 'spearman' ? `${label} (ρ)` : label;
}

/** Method, then one numeric column per task of the main table, then Avg. */
function methodTaskColumns(report: RunReport): TableColumn[] {
  return [
    { title: 'Method' },
    ...report.tasks.map((t) => numeric(taskColumnTitle(t, report.task_labels, report.task_metrics))),
    numeric('Avg.'),
  ];
}

/** Whether the run scored text tasks (GLUE-style metrics, no loss). */
export function isTextReport(report: RunReport): boolean {
  return report.task_metrics !== undefined;
}

/** The main table's heading: accuracy, or for text tasks the GLUE scores (FusionBench's Flan-T5 table). */
export function scoreHeading(report: RunReport): string {
  if (!isTextReport(report)) return 'Accuracy (%)';
  const rho = report.tasks.some((t) => report.task_metrics?.[t] === 'spearman');
  return rho ? "GLUE score (%): accuracy; Spearman's ρ × 100 in the (ρ) columns" : 'GLUE score (%): accuracy';
}

/**
 * The paper's Table 2 (FusionBench's GLUE table for text tasks): methods × tasks + Avg., scores in %, best
 * merged model per column strong.
 */
export function accuracyTable(report: RunReport): ReportTable {
  const texts = report.methods.map((m) =>
    [...report.tasks.map((t) => m.per_task[t]), m.average].map((s) => percent(s.accuracy)),
  );
  const cells = bestPerColumn(
    texts,
    report.methods.map((m) => !m.reference),
  );
  return {
    columns: methodTaskColumns(report),
    rows: report.methods.map((m, r) => ({
      reference: m.reference,
      cells: [plain(m.label), ...cells[r]],
    })),
  };
}

/** Mean test loss (cross-entropy, nats) per method and task. */
export function lossTable(report: RunReport): ReportTable {
  return {
    columns: methodTaskColumns(report),
    rows: report.methods.map((m) => ({
      reference: m.reference,
      cells: [
        plain(m.label),
        ...[...report.tasks.map((t) => m.per_task[t]), m.average].map((s) => plain(formatLoss(s.loss))),
      ],
    })),
  };
}

/** Parameters and time per method. */
export function costTable(report: RunReport): ReportTable {
  const titles = ['Trainable params', 'Total params', 'Setup (s)', 'Adapt (s)', 'Eval (s)', 'Total (s)'];
  return {
    columns: [{ title: 'Method' }, ...titles.map(numeric)],
    rows: report.methods.map(({ label, reference, model_info: info, timing }) => ({
      reference,
      cells: [
        label,
        formatCount(info.trainable_params),
        formatCount(info.all_params),
        ...[timing.setup_s, timing.adapt_s, timing.eval_s, timing.total_s].map(formatSeconds),
      ].map(plain),
    })),
  };
}

/** The run's settings as (name, value) pairs, in the order the reports list them. */
export function settingsEntries(settings: RunSettings): [string, string][] {
  const entries: [string, string][] = [
    ['Quick mode', settings.quick ? 'yes (fewer adaptation steps, test subsets)' : 'no'],
  ];
  if (settings.suite !== undefined) entries.push(['Suite', settings.suite]);
  if (settings.seed !== undefined) entries.push(['Seed', String(settings.seed)]);
  if (settings.test_samples_per_task !== undefined)
    entries.push(['Test samples per task', String(settings.test_samples_per_task)]);
  return entries;
}

/** What the reports say in place of the changed-hyperparameters table when it has no rows. */
export const NO_CHANGED_HYPERPARAMETERS = "None: every hyperparameter is the paper's.";

/** Hyperparameters that differ from the paper's, and why; none when every one is the paper's. */
export function changedHyperparametersTable(settings: RunSettings): ReportTable | undefined {
  const changed = settings.changed_hyperparameters;
  if (changed.length === 0) return undefined;
  return {
    columns: [{ title: 'Hyperparameter' }, numeric('Paper'), numeric('Used'), { title: 'Why', wrap: true }],
    rows: changed.map((c) => ({ cells: [c.name, String(c.paper), String(c.used), c.why].map(plain) })),
  };
}

/** Which of the paper's Table 2 findings this run reproduces; none when it lacks the rows. */
export function findingsTable(report: RunReport): ReportTable | undefined {
  const checks = paperShapeChecks(report);
  if (checks.length === 0) return undefined;
  return {
    columns: [{ title: 'Finding' }, numeric('Paper (ViT-B/32)'), numeric('Here'), { title: 'Holds' }],
    rows: checks.map((c) => ({
      cells: [
        plain(c.claim),
        plain(c.paper),
        plain(c.here),
        { text: c.holds ? 'yes' : 'no', strong: !c.holds },
      ],
    })),
  };
}

/** Methods × (seen tasks, unseen tasks, seen avg., unseen avg.), accuracy in %, best per column strong. */
export function generalizationTable(
  experiment: GeneralizationExperiment,
  labels?: Record<string, string>,
  metrics?: Record<string, TaskMetric>,
): ReportTable {
  const tasks = [...experiment.seen, ...experiment.unseen];
  const texts = experiment.methods.map((m) =>
    [...tasks.map((t) => m.per_task[t]), m.seen_average, m.unseen_average].map((s) => percent(s.accuracy)),
  );
  const cells = bestPerColumn(
    texts,
    experiment.methods.map(() => true),
  );
  return {
    columns: [
      { title: 'Method' },
      ...experiment.seen.map((t) => numeric(taskColumnTitle(t, labels, metrics))),
      ...experiment.unseen.map((t) => numeric(`${taskColumnTitle(t, labels, metrics)} (unseen)`)),
      numeric('Seen avg.'),
      numeric('Unseen avg.'),
    ],
    rows: experiment.methods.map((m, r) => ({ cells: [plain(m.label), ...cells[r]] })),
  };
}

/** The paper's Table 5: rows = clean + each corruption, columns = methods, average accuracy in %, best per row strong. */
export function robustnessTable(experiment: RobustnessExperiment): ReportTable {
  return {
    columns: [{ title: 'Test set' }, ...experiment.methods.map((m) => numeric(m.label))],
    rows: experiment.conditions.map((condition) => {
      const texts = experiment.methods.map((m) => percent(condition.results[m.method].average.accuracy));
      const best = bestMask(
        texts,
        texts.map(() => true),
      );
      return { cells: [plain(condition.label), ...texts.map((text, i) => ({ text, strong: best[i] }))] };
    }),
  };
}

/** Per-task accuracy (%) of every (test set, method) pair of the robustness experiment. */
export function robustnessDetailTable(
  experiment: RobustnessExperiment,
  labels?: Record<string, string>,
): ReportTable {
  return {
    columns: [
      { title: 'Test set' },
      { title: 'Method' },
      ...experiment.tasks.map((t) => numeric(taskLabel(labels, t))),
      numeric('Avg.'),
    ],
    rows: experiment.conditions.flatMap((condition) =>
      experiment.methods.map((m) => {
        const result = condition.results[m.method];
        const scores = [...experiment.tasks.map((t) => result.per_task[t]), result.average];
        return { cells: [condition.label, m.label, ...scores.map((s) => percent(s.accuracy))].map(plain) };
      }),
    ),
  };
}
