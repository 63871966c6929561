/**
 * `wemoe demo` as a library call: every method of the paper's Table 2 on a suite (the built-in one by
 * default), one phase line per method, then report.json / report.md / report.html in the output folder.
 */

import { join } from 'node:path';
import { WemoeError } from '../errors.js';
import { machineInfo } from '../eval/machine.js';
import { accuracyTableMarkdown, paperShapeSection } from '../eval/report-markdown.js';
import type { MethodResult, RunReport } from '../eval/report-types.js';
import { type ReportPaths, writeReports } from '../eval/write-reports.js';
import { exportVisionModel } from '../export/export-model.js';
import { checkWritableFolder } from '../io/writable.js';
import type { ProgressMode } from '../util/progress.js';
import { changedHyperparameters, type DemoBudget, FULL_BUDGET, QUICK_BUDGET } from './budget.js';
import { DEMO_ROWS, type DemoRow } from './rows.js';
import { type DemoContext, runRow } from './run-row.js';
import { checkSuite, type DemoSuite } from './suite.js';

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

export function demoBudget({ quick = false }: { readonly quick?: boolean } = {}): DemoBudget {
  return quick ? QUICK_BUDGET : FULL_BUDGET;
}

/**
 * The methods named by `ids` (in the paper's order), or every method but the `onRequest` ones; an unknown
 * id is an error naming the known.
 */
export function selectMethods(ids?: readonly string[]): DemoRow[] {
  if (ids === undefined) return DEMO_ROWS.filter((m) => !m.onRequest);
  const known = DEMO_ROWS.map((m) => m.id);
  for (const id of ids) {
    if (!known.includes(id))
      throw new WemoeError(`demo: --methods ${id}: unknown; known methods: ${known.join(', ')}`);
  }
  if (ids.length === 0) throw new WemoeError('demo: --methods is empty; expected at least one method');
  return DEMO_ROWS.filter((m) => ids.includes(m.id));
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
  { quick }: { quick: boolean },
): string[] {
  const notes = [
    'Test-time adaptation uses the unlabeled test images; evaluation uses the same test split (as the paper).',
    `Test-time adaptation: ${budget.ttaSteps} steps, batch ${budget.ttaBatch} per task, ${budget.schedule} schedule.`,
    ...methods.flatMap((m) => (m.note ? [`${m.label}: ${m.note}`] : [])),
  ];
  if (quick)
    notes.push(
      `Quick mode: ${budget.ttaSteps} adaptation steps and the first ${budget.testLimit ?? 'all'} test images per task.`,
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

/** Runs the chosen methods on `suite`, writes the reports into `options.out` and returns them. */
export async function runDemo(suite: DemoSuite, options: DemoOptions): Promise<DemoOutcome> {
  checkSuite(suite);
  // Before minutes of merging and adaptation: the reports must be writable.
  checkWritableFolder(options.out, 'the demo reports');
  const began = performance.now();
  const created = new Date().toISOString();
  const quick = options.quick ?? false;
  const budget = options.budget ?? demoBudget({ quick });
  const methods = selectMethods(options.methods);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seed = options.seed ?? 42;
  let web: DemoOutcome['web'];
  const ctx: DemoContext = {
    suite,
    budget,
    seed,
    threads: options.threads,
    progress: options.progress ?? 'auto',
    log,
    onModel: (row, model) => {
      if (row.id !== WEB_EXPORT_ROW || options.web === false) return;
      const dir = join(options.out, 'web');
      const { seconds } = exportVisionModel({ model }, { out: dir, heads: suite.heads, web: true });
      web = { dir, seconds };
    },
  };
  const results: MethodResult[] = [];
  for (const [i, method] of methods.entries()) {
    const result = await runRow(method, ctx);
    results.push(result);
    log(phaseLine(i + 1, methods.length, result));
  }
  const report: RunReport = {
    title: `WEMoE demo: the paper's Table 2 on the ${suite.name}`,
    created,
    machine: machineInfo(),
    settings: {
      quick,
      seed,
      suite: suite.name,
      test_samples_per_task: budget.testLimit,
      notes: [...settingsNotes(budget, methods, { quick }), ...webNote(web)],
      changed_hyperparameters: changedHyperparameters(budget, suite.config.hiddenSize),
    },
    tasks: suite.tasks.map((t) => t.task),
    task_labels: suite.taskLabels,
    methods: results,
    total_s: (performance.now() - began) / 1000,
  };
  const paths = writeReports(options.out, report);
  return {
    report,
    paths,
    table: [accuracyTableMarkdown(report), ...paperShapeSection(report)].join('\n\n'),
    web,
  };
}
