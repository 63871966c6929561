/**
 * The paper's generalization experiment (Tang et al. 2024, Table 4): merge on the seen tasks only
 * (their experts; test-time methods adapt on their unlabeled test data only), then evaluate on the
 * seen AND the unseen tasks, each task with its own head. WEMoE routes the unseen tasks' inputs with
 * the routers it trained on the seen ones.
 */
import { WemoeError } from '../../errors.js';
import type { GeneralizationExperiment, MethodResult } from '../../eval/report-types.js';
import { averageScore } from '../../eval/summaries.js';
import { DEMO_ROWS } from '../rows.js';
import { type DemoContext, runRow } from '../run-row.js';
import type { DemoSuite } from '../suite.js';

/**
 * Held out by default: the paper held out MNIST and EuroSAT, each of which has a related seen task
 * (SVHN; RESISC45). `mnist` keeps `uci-digits` and `house-digits` seen, `greek` keeps `letters` seen.
 */
export const DEFAULT_UNSEEN_TASKS: readonly string[] = ['mnist', 'greek'];

/** The methods of the paper's generalization table, in its order. */
export const GENERALIZATION_METHODS: readonly string[] = [
  'task_arithmetic',
  'ties',
  'adamerging_layer',
  'wemoe_depth0',
  'wemoe_depth2',
];

export interface GeneralizationOutcome {
  readonly experiment: GeneralizationExperiment;
  /** Full results (every task scored, timings, adaptation curves, routing) for the report's methods. */
  readonly results: MethodResult[];
}

/** Seen = the suite's tasks that are not `unseen`, in suite order; checks that the split makes sense. */
export function splitTasks(
  suite: DemoSuite,
  unseen: readonly string[],
): { seen: string[]; unseen: string[] } {
  const all = suite.tasks.map((t) => t.task);
  for (const task of unseen) {
    if (!all.includes(task))
      throw new WemoeError(`generalization: unseen task ${task}: not in the suite's tasks ${all.join(', ')}`);
  }
  if (new Set(unseen).size !== unseen.length)
    throw new WemoeError(`generalization: unseen tasks ${unseen.join(', ')}: a task is named twice`);
  const seen = all.filter((t) => !unseen.includes(t));
  if (unseen.length === 0 || seen.length < 2)
    throw new WemoeError(
      `generalization: unseen tasks ${unseen.join(', ') || '(none)'}: expected at least one unseen and two seen tasks`,
    );
  return { seen, unseen: all.filter((t) => unseen.includes(t)) };
}

/** The suite restricted to `tasks`: their experts and test data only (heads of every task stay). */
export function subSuite(suite: DemoSuite, tasks: readonly string[]): DemoSuite {
  return {
    ...suite,
    experts: new Map([...suite.experts].filter(([task]) => tasks.includes(task))),
    tasks: suite.tasks.filter((t) => tasks.includes(t.task)),
  };
}

/** Runs the generalization methods on `ctx.suite` split into seen / `unseen` tasks. */
export async function runGeneralization(
  ctx: DemoContext,
  unseen: readonly string[] = DEFAULT_UNSEEN_TASKS,
): Promise<GeneralizationOutcome> {
  const split = splitTasks(ctx.suite, unseen);
  const seenCtx: DemoContext = {
    ...ctx,
    suite: subSuite(ctx.suite, split.seen),
    evalTasks: ctx.suite.tasks,
  };
  const results: MethodResult[] = [];
  for (const id of GENERALIZATION_METHODS) {
    const result = await runRow(DEMO_ROWS.find((m) => m.id === id)!, seenCtx);
    results.push(result);
    const seenAvg = averageScore(result.per_task, split.seen).accuracy;
    const unseenAvg = averageScore(result.per_task, split.unseen).accuracy;
    ctx.log(
      `[generalization ${results.length}/${GENERALIZATION_METHODS.length}] ${result.label}: ` +
        `seen ${(100 * seenAvg).toFixed(1)}%, unseen ${(100 * unseenAvg).toFixed(1)}% ` +
        `(${result.timing.total_s.toFixed(1)} s)`,
    );
  }
  const experiment: GeneralizationExperiment = {
    seen: split.seen,
    unseen: split.unseen,
    methods: results.map((r) => ({
      method: r.method,
      label: r.label,
      per_task: r.per_task,
      seen_average: averageScore(r.per_task, split.seen),
      unseen_average: averageScore(r.per_task, split.unseen),
    })),
  };
  return { experiment, results };
}
