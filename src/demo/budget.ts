/**
 * The demo's settings: the paper's test-time hyperparameters, and what the CPU time budget makes us use
 * instead (reported as changed hyperparameters, with the reason).
 */

import { PAPER_ROUTER_WIDTH, routerWeightLrMultiplier } from '../adapt/wemoe.js';
import { WemoeError } from '../errors.js';
import type { ChangedHyperparameter } from '../eval/report-types.js';

export interface DemoBudget {
  /** Test-time adaptation steps of every AdaMerging and WEMoE run. */
  readonly ttaSteps: number;
  /** Unlabeled test images per task per step. */
  readonly ttaBatch: number;
  readonly schedule: 'cosine' | 'constant';
  readonly wemoeLr: number;
  readonly adamergingLr: number;
  /** Images per evaluation forward run. */
  readonly evalBatch: number;
  /** Test images per task (the first ones; class-balanced); all when absent. */
  readonly testLimit?: number;
}

/** The budget's learning rate of each test-time method, by registry name. */
const LEARNING_RATES: Readonly<Record<string, (budget: DemoBudget) => number>> = {
  adamerging: (b) => b.adamergingLr,
  wemoe: (b) => b.wemoeLr,
};

/** The adaptation parameters the budget gives test-time method `method`: steps, batch, schedule, its lr. */
export function adaptationParams(budget: DemoBudget, method: string): Record<string, unknown> {
  const lr = LEARNING_RATES[method];
  if (!lr) throw new WemoeError(`demo: the budget has no learning rate for test-time method ${method}`);
  return { steps: budget.ttaSteps, batch_size: budget.ttaBatch, schedule: budget.schedule, lr: lr(budget) };
}

/** Tang et al. 2024 (WEMoE) and Yang et al. 2024 (AdaMerging), as the papers give them. */
export const PAPER_HYPERPARAMETERS = {
  ttaSteps: 1000,
  ttaBatch: 16,
  schedule: 'cosine',
  wemoeLr: 1e-4,
  adamergingLr: 1e-3,
} as const;

/**
 * A budget of `steps` adaptation steps. The learning rates are the paper's scaled by 1000 / steps, so that
 * Σ lr over the run (the farthest Adam can move a parameter) is the paper's: fewer steps, same reach.
 */
export function budgetWithSteps(steps: number): DemoBudget {
  const scaled = (lr: number) => Number(((lr * PAPER_HYPERPARAMETERS.ttaSteps) / steps).toPrecision(6));
  return {
    ttaSteps: steps,
    ttaBatch: PAPER_HYPERPARAMETERS.ttaBatch,
    schedule: PAPER_HYPERPARAMETERS.schedule,
    wemoeLr: scaled(PAPER_HYPERPARAMETERS.wemoeLr),
    adamergingLr: scaled(PAPER_HYPERPARAMETERS.adamergingLr),
    evalBatch: 128,
  };
}

/** `wemoe demo`: sized by measured step and evaluation costs to fit 10 minutes on 2 cores (README). */
export const FULL_BUDGET: DemoBudget = budgetWithSteps(100);

/** `wemoe demo --quick`: about 2 minutes on 2 cores. */
export const QUICK_BUDGET: DemoBudget = { ...budgetWithSteps(25), testLimit: 128 };

/**
 * `wemoe demo --suite text`: a WEMoE T5 step merges a feed-forward copy per prompt, so batches stay small;
 * sized from --quick's measured costs (evaluation ∝ prompts, adaptation ∝ steps × batch) to fit 10 minutes.
 */
export const TEXT_FULL_BUDGET: DemoBudget = {
  ...budgetWithSteps(50),
  ttaBatch: 4,
  evalBatch: 32,
  testLimit: 128,
};

/** `wemoe demo --suite text --quick`: about 2 minutes on 2 cores (measured: docs/experiments.md). */
export const TEXT_QUICK_BUDGET: DemoBudget = {
  ...budgetWithSteps(10),
  ttaBatch: 4,
  evalBatch: 32,
  testLimit: 32,
};

const WHY_STEPS = 'CPU time budget of the demo (10 minutes on 2 cores; --quick: 2 minutes)';
const WHY_LR =
  "scaled by 1000 / steps so that the summed learning rate (how far Adam can move) is the paper's";

/** The changed-hyperparameter row of the router weight matrices' width-scaled lr. */
export const ROUTER_WEIGHT_LR = 'wemoe.lr of the router weight matrices';

const whyRouterWidth = (width: number) =>
  `wemoe.lr × ${PAPER_ROUTER_WIDTH} / ${width}: the paper's lr is for ${PAPER_ROUTER_WIDTH}-wide routers, and Adam ` +
  `moves a router's output about fan-in × lr per step (μP, Yang et al. 2021; biases keep wemoe.lr)`;

/**
 * Every setting of `budget` that differs from the paper's, with the reason; `routerWidth` (the encoder's
 * hidden size) adds the router weight matrices' width-scaled lr when it is not the paper's.
 */
export function changedHyperparameters(
  budget: DemoBudget,
  routerWidth = PAPER_ROUTER_WIDTH,
  { text = false }: { readonly text?: boolean } = {},
): ChangedHyperparameter[] {
  const paper = PAPER_HYPERPARAMETERS;
  const changed: ChangedHyperparameter[] = [];
  const add = (name: string, paperValue: number | string, used: number | string, why: string) => {
    if (paperValue !== used) changed.push({ name, paper: paperValue, used, why });
  };
  add('adamerging.steps', paper.ttaSteps, budget.ttaSteps, WHY_STEPS);
  add('wemoe.steps', paper.ttaSteps, budget.ttaSteps, WHY_STEPS);
  add('tta.batch_size', paper.ttaBatch, budget.ttaBatch, WHY_STEPS);
  add('tta.schedule', paper.schedule, budget.schedule, WHY_STEPS);
  add('adamerging.lr', paper.adamergingLr, budget.adamergingLr, WHY_LR);
  add('wemoe.lr', paper.wemoeLr, budget.wemoeLr, WHY_LR);
  if (routerWidth !== PAPER_ROUTER_WIDTH) {
    const weightLr = Number((budget.wemoeLr * routerWeightLrMultiplier(routerWidth)).toPrecision(6));
    add(ROUTER_WEIGHT_LR, paper.wemoeLr, weightLr, whyRouterWidth(routerWidth));
  }
  if (budget.testLimit !== undefined && text)
    changed.push({
      name: 'test prompts per task',
      paper: 'all',
      used: budget.testLimit,
      why: `${WHY_STEPS} (the first rows of each test split)`,
    });
  else if (budget.testLimit !== undefined)
    changed.push({
      name: 'test images per task',
      paper: 'all',
      used: budget.testLimit,
      why: 'the 2-minute budget of --quick (the first images of each test split, class-balanced)',
    });
  return changed;
}
