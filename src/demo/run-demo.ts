/**
 * `wemoe demo` as a library call: every method of the paper's Table 2 on a suite (the built-in one by
 * default), one phase line per method, then report.json / report.md / report.html in the output folder.
 */

import { join } from 'node:path';
import { WemoeError } from '../errors.js';
import { machineInfo } from '../eval/machine.js';
import { accuracyTableMarkdown, paperShapeSection } from '../eval/report-markdown.js';
import type { MethodResult, RunReport, TaskMetric } from '../eval/report-types.js';
import { type ReportPaths, writeReports } from '../eval/write-reports.js';
import { exportVisionModel } from '../export/export-model.js';
import { checkWritableFolder } from '../io/writable.js';
import type { ProgressMode } from '../util/progress.js';
import {
  changedHyperparameters,
  type DemoBudget,
  FULL_BUDGET,
  QUICK_BUDGET,
  TEXT_FULL_BUDGET,
  TEXT_QUICK_BUDGET,
} from './budget.js';
import { DEMO_ROWS, type DemoRow } from './rows.js';
import { type DemoContext, runRow } from './run-row.js';
import { checkSuite, type DemoSuite } from './suite.js';
import { runTextRow, type TextDemoContext, textMethodInputs, textMetrics } from './text-row.js';
import type { TextDemoSuite } from './text-suite.js';

export interface DemoOptions {
  /** Output folder for the reports. */
  readonly out: string;
  readonly quick?: boolean;
  /** Method ids to run (default: all, in the paper's order). */
  readonly methods?: readonly string[];
  /** Overrides the full / quick budget (tests use a tiny one). */
  readonly budget?: DemoBudget;
  readonly seed?: number;
  readonly threads?: number;
  readonly progress?: ProgressMode;
  /** Phase lines (default: stderr). */
  readonly log?: (line: string) => void;
  /** Export the WEMoE (depth 2) model with its web page into out/web (default true; when that row runs). */
  readonly web?: boolean;
}

/** The row whose model the demo exports with the web page. */
export const WEB_EXPORT_ROW = 'wemoe_depth2';

export interface DemoOutcome {
  readonly report: RunReport;
  readonly paths: ReportPaths;
  /** The paper's Table 2 layout (Markdown) and which of its findings hold, as printed. */
  readonly table: string;
  /** The exported web page's folder (`wemoe serve` it) and the export's seconds, when it was written. */
  readonly web?: { readonly dir: string; readonly seconds: number };
}

export function demoBudget({
  quick = false,
  suite = 'vision',
}: {
  readonly quick?: boolean;
  readonly suite?: 'vision' | 'text';
} = {}): DemoBudget {
  if (suite === 'text') return quick ? TEXT_QUICK_BUDGET : TEXT_FULL_BUDGET;
  return quick ? QUICK_BUDGET : FULL_BUDGET;
}

/**
 * The methods named by `ids` (in the paper's order), or every method but the `onRequest` ones; an unknown
 * id is an error naming the known.
 */
export function selectMethods(
  ids?: readonly string[],
  { text = false }: { readonly text?: boolean } = {},
): DemoRow[] {
  // T5's WEMoE upscales the feed-forward modules only: the attention ablation is a vision row.
  const rows = text ? DEMO_ROWS.filter((m) => !('method' in m && m.params.upscaled_modules)) : DEMO_ROWS;
  if (ids === undefined) return rows.filter((m) => !m.onRequest);
  const known = rows.map((m) => m.id);
  for (const id of ids) {
    if (!known.includes(id))
      throw new WemoeError(`demo: --methods ${id}: unknown; known methods: ${known.join(', ')}`);
  }
  if (ids.length === 0) throw new WemoeError('demo: --methods is empty; expected at least one method');
  return rows.filter((m) => ids.includes(m.id));
}

function phaseLine(index: number, total: number, result: MethodResult): string {
  const t = result.timing;
  const adapt = t.adapt_s > 0 ? `, adapt ${t.adapt_s.toFixed(1)} s` : '';
  return (
    `[${index}/${total}] ${result.label}: ${(100 * result.average.accuracy).toFixed(1)}% average ` +
    `(setup ${t.setup_s.toFixed(1)} s${adapt}, eval ${t.eval_s.toFixed(1)} s)`
  );
}

function settingsNotes(
  budget: DemoBudget,
  methods: readonly DemoRow[],
  { quick, samples }: { quick: boolean; samples: string },
): string[] {
  const notes = [
    `Test-time adaptation uses the unlabeled test ${samples}; evaluation uses the same test split (as the paper).`,
    `Test-time adaptation: ${budget.ttaSteps} steps, batch ${budget.ttaBatch} per task, ${budget.schedule} schedule.`,
    ...methods.flatMap((m) => (m.note ? [`${m.label}: ${m.note}`] : [])),
  ];
  if (quick)
    notes.push(
      `Quick mode: ${budget.ttaSteps} adaptation steps and the first ${budget.testLimit ?? 'all'} test ${samples} per task.`,
    );
  return notes;
}

/** How to open the exported page, as a line of the report's settings. */
function webNote(web: DemoOutcome['web']): string[] {
  if (!web) return [];
  return [
    `Try WEMoE (depth 2) in a browser: its model and web page are in ${web.dir} (exported in ${web.seconds.toFixed(1)} s); run \`wemoe serve ${web.dir}\` and open the address it prints, then pick, drop or draw an image.`,
  ];
}

/** What differs between the suites: their tasks, how a row runs on them, what the report says of them. */
interface SuitePart {
  readonly tasks: string[];
  readonly taskLabels?: Record<string, string>;
  /** Text suites: each task's metric (GLUE scores). */
  readonly taskMetrics?: Record<string, TaskMetric>;
  /** The routers' input width (the encoder's hidden size, or T5's d_model). */
  readonly routerWidth: number;
  readonly runRow: (row: DemoRow) => Promise<MethodResult>;
  /** What the report calls the table and the test samples. */
  readonly table: string;
  readonly samples: string;
}

interface PartSettings {
  readonly budget: DemoBudget;
  readonly seed: number;
  readonly options: DemoOptions;
  readonly log: (line: string) => void;
}

function visionPart(suite: DemoSuite, s: PartSettings, onWeb: (web: DemoOutcome['web']) => void): SuitePart {
  checkSuite(suite);
  const { options } = s;
  const ctx: DemoContext = {
    suite,
    budget: s.budget,
    seed: s.seed,
    threads: options.threads,
    progress: options.progress ?? 'auto',
    log: s.log,
    onModel: (row, model) => {
      if (row.id !== WEB_EXPORT_ROW || options.web === false) return;
      const dir = join(options.out, 'web');
      const { seconds } = exportVisionModel({ model }, { out: dir, heads: suite.heads, web: true });
      onWeb({ dir, seconds });
    },
  };
  return {
    tasks: suite.tasks.map((t) => t.task),
    taskLabels: suite.taskLabels,
    routerWidth: suite.config.hiddenSize,
    runRow: (row) => runRow(row, ctx),
    table: "the paper's Table 2",
    samples: 'images',
  };
}

async function textPart(suite: TextDemoSuite, s: PartSettings): Promise<SuitePart> {
  const ctx: TextDemoContext = {
    suite,
    budget: s.budget,
    seed: s.seed,
    threads: s.options.threads,
    progress: s.options.progress ?? 'auto',
    log: s.log,
    inputs: await textMethodInputs(suite, s.seed),
  };
  return {
    tasks: suite.tasks.map((t) => t.name),
    taskLabels: suite.taskLabels,
    taskMetrics: textMetrics(suite),
    routerWidth: suite.pretrained.config.dModel,
    runRow: (row) => runTextRow(row, ctx),
    table: "the paper's GLUE table",
    samples: 'prompts',
  };
}

export function isTextSuite(suite: DemoSuite | TextDemoSuite): suite is TextDemoSuite {
  return 'kind' in suite && suite.kind === 'text';
}

/** Runs the chosen methods on `suite` (images or text), writes the reports into `options.out` and returns them. */
export async function runDemo(suite: DemoSuite | TextDemoSuite, options: DemoOptions): Promise<DemoOutcome> {
  const text = isTextSuite(suite);
  // Before minutes of merging and adaptation: the reports must be writable.
  checkWritableFolder(options.out, 'the demo reports');
  const began = performance.now();
  const created = new Date().toISOString();
  const quick = options.quick ?? false;
  const budget = options.budget ?? demoBudget({ quick, suite: text ? 'text' : 'vision' });
  const methods = selectMethods(options.methods, { text });
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seed = options.seed ?? 42;
  let web: DemoOutcome['web'];
  const settings = { budget, seed, options, log };
  const part = text
    ? await textPart(suite, settings)
    : visionPart(suite, settings, (w) => {
        web = w;
      });
  const results: MethodResult[] = [];
  for (const [i, method] of methods.entries()) {
    const result = await part.runRow(method);
    results.push(result);
    log(phaseLine(i + 1, methods.length, result));
  }
  const report: RunReport = {
    title: `WEMoE demo: ${part.table} on the ${suite.name}`,
    created,
    machine: machineInfo(),
    settings: {
      quick,
      seed,
      suite: suite.name,
      test_samples_per_task: budget.testLimit,
      notes: [...settingsNotes(budget, methods, { quick, samples: part.samples }), ...webNote(web)],
      changed_hyperparameters: changedHyperparameters(budget, part.routerWidth, { text }),
    },
    tasks: part.tasks,
    task_labels: part.taskLabels,
    methods: results,
    total_s: (performance.now() - began) / 1000,
  };
  if (part.taskMetrics) report.task_metrics = part.taskMetrics;
  const paths = writeReports(options.out, report);
  return {
    report,
    paths,
    table: [accuracyTableMarkdown(report), ...paperShapeSection(report)].join('\n\n'),
    web,
  };
}
