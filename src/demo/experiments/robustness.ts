/**
 * The paper's robustness experiment (Tang et al. 2024, Table 5): four tasks; for the clean test sets
 * and for each corruption (severity 2 by default), every method is merged, adapted on THAT condition's
 * unlabeled test images (test-time methods) and evaluated on them.
 */
import type { ProcessorConfig } from '../../data/preprocess/config.js';
import { WemoeError } from '../../errors.js';
import type { MethodResult, RobustnessCondition, RobustnessExperiment } from '../../eval/report-types.js';
import { DEMO_ROWS } from '../rows.js';
import { type DemoContext, runRow } from '../run-row.js';
import type { DemoSuite } from '../suite.js';
import {
  CONDITION_LABELS,
  CONDITIONS,
  conditionImages,
  labeledFromUint8,
  type RawTestSet,
} from './corrupted-tasks.js';
import { subSuite } from './generalization.js';

/**
 * The paper used Cars, EuroSAT, RESISC45 and GTSRB: natural colour images. The suite's four colour
 * tasks (rendered on textured or gradient backgrounds) play that part.
 */
export const DEFAULT_ROBUSTNESS_TASKS: readonly string[] = ['letters', 'house-digits', 'kana', 'shapes'];

/** Columns of Table 5. */
export const ROBUSTNESS_METHODS: readonly string[] = [
  'task_arithmetic',
  'ties',
  'adamerging_layer',
  'wemoe_depth2',
];

export const DEFAULT_SEVERITY = 2;

export interface RobustnessOptions {
  /** The four tasks (default DEFAULT_ROBUSTNESS_TASKS), each with an expert, a head and raw test images. */
  readonly tasks?: readonly string[];
  readonly severity?: number;
  /** Conditions to run (default: clean and every corruption). */
  readonly conditions?: readonly string[];
  /** The uint8 test images of a task (the same images the suite's tasks hold, before preprocessing). */
  readonly rawTestSet: (task: string) => RawTestSet;
  readonly processor: ProcessorConfig;
  /** Keep the first `limit` test images of each task (a prefix of a suite file is class-balanced). */
  readonly limit?: number;
}

export interface RobustnessOutcome {
  readonly experiment: RobustnessExperiment;
  /** Full results on the clean test sets (timings, adaptation curves, routing) for the report's methods. */
  readonly cleanResults: MethodResult[];
}

function checkOptions(
  suite: DemoSuite,
  tasks: readonly string[],
  conditions: readonly string[],
  severity: number,
): void {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5)
    throw new WemoeError(`robustness: severity ${severity}: expected an integer 1–5`);
  for (const task of tasks) {
    if (!suite.experts.has(task))
      throw new WemoeError(
        `robustness: task ${task}: no expert in the ${suite.name}; expected some of ${[...suite.experts.keys()].join(', ')}`,
      );
  }
  for (const condition of conditions) {
    if (!CONDITIONS.includes(condition))
      throw new WemoeError(`robustness: condition ${condition}: unknown; known: ${CONDITIONS.join(', ')}`);
  }
}

function firstImages(raw: RawTestSet, limit?: number): RawTestSet {
  if (limit === undefined || raw.count <= limit) return raw;
  const perImage = raw.images.length / raw.count;
  return {
    ...raw,
    count: limit,
    images: raw.images.subarray(0, limit * perImage),
    labels: raw.labels.subarray(0, limit),
  };
}

/** The suite of `tasks` whose test data are `condition`'s images. */
function conditionSuite(
  suite: DemoSuite,
  raws: readonly RawTestSet[],
  condition: string,
  options: RobustnessOptions,
  seed: number,
): DemoSuite {
  const severity = options.severity ?? DEFAULT_SEVERITY;
  const tasks = raws.map((raw, i) =>
    labeledFromUint8(raw, conditionImages(raw, condition, severity, seed, i), options.processor),
  );
  return {
    ...subSuite(
      suite,
      tasks.map((t) => t.task),
    ),
    tasks,
  };
}

/** Runs Table 5's methods on every condition; phase lines go to `ctx.log`. */
export async function runRobustness(
  ctx: DemoContext,
  options: RobustnessOptions,
): Promise<RobustnessOutcome> {
  const tasks = options.tasks ?? DEFAULT_ROBUSTNESS_TASKS;
  const conditions = options.conditions ?? CONDITIONS;
  checkOptions(ctx.suite, tasks, conditions, options.severity ?? DEFAULT_SEVERITY);
  const raws = tasks.map((task) => firstImages(options.rawTestSet(task), options.limit));
  const rows: RobustnessCondition[] = [];
  let cleanResults: MethodResult[] = [];
  for (const [c, condition] of conditions.entries()) {
    const suite = conditionSuite(ctx.suite, raws, condition, options, ctx.seed);
    const results: MethodResult[] = [];
    for (const id of ROBUSTNESS_METHODS) {
      const row = DEMO_ROWS.find((m) => m.id === id)!;
      results.push(await runRow(row, { ...ctx, suite, evalTasks: undefined }));
    }
    const line = results.map((r) => `${r.label} ${(100 * r.average.accuracy).toFixed(1)}%`).join(', ');
    const seconds = results.reduce((s, r) => s + r.timing.total_s, 0);
    ctx.log(`[robustness ${c + 1}/${conditions.length}] ${condition}: ${line} (${seconds.toFixed(1)} s)`);
    if (condition === 'clean') cleanResults = results;
    rows.push({
      name: condition,
      label: CONDITION_LABELS[condition] ?? condition,
      results: Object.fromEntries(
        results.map((r) => [r.method, { per_task: r.per_task, average: r.average }]),
      ),
    });
  }
  const methods = ROBUSTNESS_METHODS.map((id) => ({
    method: id,
    label: DEMO_ROWS.find((m) => m.id === id)!.label,
  }));
  return {
    experiment: {
      tasks: [...tasks],
      severity: options.severity ?? DEFAULT_SEVERITY,
      methods,
      conditions: rows,
    },
    cleanResults,
  };
}
