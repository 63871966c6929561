/**
 * `wemoe demo --experiment generalization|robustness` as a library call: runs the experiments on a
 * suite and writes them into the report files of the output folder. When that folder already holds a
 * demo report (report.json), the experiments are added to it, so the main table and both experiments
 * end up in the same report.json / report.md / report.html.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WemoeError } from '../../errors.js';
import { machineInfo } from '../../eval/machine.js';
import { generalizationTableMarkdown, robustnessTableMarkdown } from '../../eval/report-markdown.js';
import type { ChangedHyperparameter, MethodResult, RunReport } from '../../eval/report-types.js';
import { type ReportPaths, readReport, writeReports } from '../../eval/write-reports.js';
import type { ProgressMode } from '../../util/progress.js';
import type { DemoBudget } from '../budget.js';
import type { DemoContext } from '../run-row.js';
import { checkSuite, type DemoSuite } from '../suite.js';
import { type ExperimentName, experimentBudget, experimentChanges } from './budget.js';
import { DEFAULT_UNSEEN_TASKS, runGeneralization } from './generalization.js';
import { type RobustnessOptions, runRobustness } from './robustness.js';

export interface ExperimentsOptions {
  readonly out: string;
  readonly experiments: readonly ExperimentName[];
  readonly quick?: boolean;
  /** Overrides the experiments' budgets (tests use a tiny one). */
  readonly budget?: DemoBudget;
  /** Generalization: tasks held out of the merge (default DEFAULT_UNSEEN_TASKS). */
  readonly unseen?: readonly string[];
  /** Robustness: tasks, severity, conditions and the raw test images. */
  readonly robustness?: RobustnessOptions;
  readonly seed?: number;
  readonly threads?: number;
  readonly progress?: ProgressMode;
  readonly log?: (line: string) => void;
}

export interface ExperimentsOutcome {
  readonly report: RunReport;
  readonly paths: ReportPaths;
  /** The experiments' tables (Markdown), as printed. */
  readonly tables: string;
}

interface Collected {
  readonly experiments: NonNullable<RunReport['experiments']>;
  /** Tasks and full results of the first experiment run: the methods of a new report. */
  tasks: string[];
  methods: MethodResult[];
  readonly notes: string[];
  readonly changed: ChangedHyperparameter[];
}

function budgetNote(name: ExperimentName, budget: DemoBudget): string {
  const images = budget.testLimit === undefined ? 'all' : `the first ${budget.testLimit}`;
  return `${name}: ${budget.ttaSteps} adaptation steps, batch ${budget.ttaBatch} per task, ${budget.schedule} schedule, ${images} test images per task.`;
}

/** The first `limit` test images of each task (suite files interleave classes: a prefix is balanced). */
function limitSuite(suite: DemoSuite, limit?: number): DemoSuite {
  if (limit === undefined) return suite;
  const tasks = suite.tasks.map((t) =>
    t.count <= limit
      ? t
      : {
          ...t,
          count: limit,
          labels: t.labels.subarray(0, limit),
          pixels: (i: readonly number[]) => t.pixels(i),
        },
  );
  return { ...suite, tasks };
}

async function runOne(
  name: ExperimentName,
  ctx: DemoContext,
  options: ExperimentsOptions,
  c: Collected,
): Promise<void> {
  const keep = (tasks: string[], methods: MethodResult[]) => {
    if (c.methods.length > 0) return;
    c.tasks = tasks;
    c.methods = methods;
  };
  if (name === 'generalization') {
    const { experiment, results } = await runGeneralization(ctx, options.unseen ?? DEFAULT_UNSEEN_TASKS);
    c.experiments.generalization = experiment;
    keep([...experiment.seen, ...experiment.unseen], results);
    return;
  }
  if (!options.robustness)
    throw new WemoeError('demo: --experiment robustness needs the raw test images of its tasks');
  const robustness = { ...options.robustness, limit: ctx.budget.testLimit };
  const { experiment, cleanResults } = await runRobustness(ctx, robustness);
  c.experiments.robustness = experiment;
  c.notes.push(
    `robustness: corruptions at severity ${experiment.severity} (Hendrycks & Dietterich, CIFAR-10-C parameters); every method merged, adapted and evaluated on each test set.`,
  );
  keep(experiment.tasks, cleanResults);
}

async function collect(suite: DemoSuite, options: ExperimentsOptions, base: DemoContext): Promise<Collected> {
  const c: Collected = { experiments: {}, tasks: [], methods: [], notes: [], changed: [] };
  for (const name of options.experiments) {
    const budget = options.budget ?? experimentBudget(name, { quick: options.quick });
    c.notes.push(budgetNote(name, budget));
    c.changed.push(...experimentChanges(name, budget, suite.config.hiddenSize));
    await runOne(name, { ...base, budget, suite: limitSuite(suite, budget.testLimit) }, options, c);
  }
  return c;
}

/** A new report holding the experiments, or `existing` (the demo's) with the experiments added. */
function buildReport(
  suite: DemoSuite,
  c: Collected,
  existing: RunReport | undefined,
  options: ExperimentsOptions,
): RunReport {
  if (existing)
    return {
      ...existing,
      settings: {
        ...existing.settings,
        notes: [...(existing.settings.notes ?? []), ...c.notes],
        changed_hyperparameters: [...existing.settings.changed_hyperparameters, ...c.changed],
      },
      experiments: { ...existing.experiments, ...c.experiments },
    };
  return {
    title: `WEMoE demo: the paper's other experiments on the ${suite.name}`,
    created: new Date().toISOString(),
    machine: machineInfo(),
    settings: {
      quick: options.quick ?? false,
      seed: options.seed ?? 42,
      suite: suite.name,
      notes: [
        'Test-time adaptation uses the unlabeled test images; evaluation uses the same test split (as the paper).',
        `The methods table shows the first experiment's methods (${Object.keys(c.experiments)[0]}).`,
        ...c.notes,
      ],
      changed_hyperparameters: c.changed,
    },
    tasks: c.tasks,
    task_labels: suite.taskLabels,
    methods: c.methods,
    experiments: c.experiments,
  };
}

function experimentTables(report: RunReport): string {
  const { generalization, robustness } = report.experiments ?? {};
  const parts: string[] = [];
  if (generalization)
    parts.push(
      `Generalization (seen / unseen tasks):\n\n${generalizationTableMarkdown(generalization, report.task_labels)}`,
    );
  if (robustness)
    parts.push(`Robustness (severity ${robustness.severity}):\n\n${robustnessTableMarkdown(robustness)}`);
  return parts.join('\n\n');
}

/** Runs the experiments on `suite` and writes (or extends) the reports in `options.out`. */
export async function runExperiments(
  suite: DemoSuite,
  options: ExperimentsOptions,
): Promise<ExperimentsOutcome> {
  checkSuite(suite);
  if (options.experiments.length === 0)
    throw new WemoeError('demo: --experiment: expected generalization and/or robustness');
  const began = performance.now();
  const seed = options.seed ?? 42;
  const base: DemoContext = {
    suite,
    budget: experimentBudget('generalization'),
    seed,
    threads: options.threads,
    progress: options.progress ?? 'auto',
    log: options.log ?? ((line: string) => process.stderr.write(`${line}\n`)),
  };
  const collected = await collect(suite, options, base);
  const existingPath = join(options.out, 'report.json');
  const existing = existsSync(existingPath) ? readReport(existingPath) : undefined;
  const report = buildReport(suite, collected, existing, options);
  const seconds = (performance.now() - began) / 1000;
  report.total_s = (existing?.total_s ?? 0) + seconds;
  const paths = writeReports(options.out, report);
  return { report, paths, tables: experimentTables(report) };
}
