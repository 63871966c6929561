/**
 * The experiments' CPU budgets (each full run ≤ 10 minutes on 2 cores, measured: README) and the
 * hyperparameters they change, reported per experiment.
 */
import type { ChangedHyperparameter } from '../../eval/report-types.js';
import { budgetWithSteps, changedHyperparameters, type DemoBudget, ROUTER_WEIGHT_LR } from '../budget.js';

export type ExperimentName = 'generalization' | 'robustness';

export const EXPERIMENT_NAMES: readonly ExperimentName[] = ['generalization', 'robustness'];

/** Five methods (three adapted) on six seen tasks, evaluated on eight. */
export const GENERALIZATION_BUDGET: DemoBudget = budgetWithSteps(100);

/**
 * Eight test conditions × four methods (two adapted) on four tasks: fewer steps and images per task.
 * The learning rates are the 100-step ones (not scaled up for 25 steps): 25 steps at 4e-3 / 4e-2
 * collapsed the predictions on the clean sets (measured: WEMoE 7.6%, AdaMerging 15.4%, TA 21.5%).
 */
export const ROBUSTNESS_BUDGET: DemoBudget = {
  ...budgetWithSteps(25),
  wemoeLr: budgetWithSteps(100).wemoeLr,
  adamergingLr: budgetWithSteps(100).adamergingLr,
  testLimit: 256,
};

const UNSCALED_LR_WHY =
  "the demo's 100-step rates, kept for fewer steps: rates scaled up to 25 steps collapsed the predictions";

/** `--quick`: 20 steps at the 100-step rates, the first 128 test images per task. */
const QUICK_BUDGET: DemoBudget = {
  ...budgetWithSteps(20),
  wemoeLr: budgetWithSteps(100).wemoeLr,
  adamergingLr: budgetWithSteps(100).adamergingLr,
  testLimit: 128,
};

export function experimentBudget(
  name: ExperimentName,
  { quick = false }: { readonly quick?: boolean } = {},
): DemoBudget {
  if (quick) return QUICK_BUDGET;
  return name === 'generalization' ? GENERALIZATION_BUDGET : ROBUSTNESS_BUDGET;
}

/** Why an experiment changed `c`: the learning rates keep their reasons, the rest is this experiment's budget. */
function experimentReason(
  c: ChangedHyperparameter,
  budgetWhy: string,
  { unscaledLr }: { readonly unscaledLr: boolean },
): string {
  if (c.name === 'wemoe.lr' || c.name === 'adamerging.lr') return unscaledLr ? UNSCALED_LR_WHY : c.why;
  return c.name === ROUTER_WEIGHT_LR ? c.why : budgetWhy;
}

/** The budget's changes to the paper's settings, named after the experiment, with this experiment's reason. */
export function experimentChanges(
  name: ExperimentName,
  budget: DemoBudget,
  routerWidth: number,
): ChangedHyperparameter[] {
  const why = `CPU time budget of the ${name} experiment (≤ 10 minutes on 2 cores)`;
  const scaled = budgetWithSteps(budget.ttaSteps);
  const unscaled = budget.wemoeLr !== scaled.wemoeLr || budget.adamergingLr !== scaled.adamergingLr;
  return changedHyperparameters(budget, routerWidth).map((c) => ({
    ...c,
    name: `${name}: ${c.name}`,
    why: experimentReason(c, why, { unscaledLr: unscaled }),
  }));
}
