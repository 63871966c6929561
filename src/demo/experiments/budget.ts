/**
 * The experiments' CPU budgets (each full run ≤ 10 minutes on 2 cores, measured: README) and the
 * hyperparameters they change, reported per experiment.
 */
import type { ChangedHyperparameter } from '../../eval/report-types.js';
import { budgetWithSteps, changedHyperparameters, type DemoBudget } from '../budget.js';

export type ExperimentName = 'generalization' | 'robustness';

export const EXPERIMENT_NAMES: readonly ExperimentName[] = ['generalization', 'robustness'];

/** Five methods (three adapted) on six seen tasks, evaluated on eight. */
export const GENERALIZATION_BUDGET: DemoBudget = budgetWithSteps(100);

/** Eight test conditions × four methods (two adapted) on four tasks: fewer steps and images per task. */
export const ROBUSTNESS_BUDGET: DemoBudget = { ...budgetWithSteps(25), testLimit: 256 };

const QUICK: Partial<DemoBudget> = { testLimit: 128 };

export function experimentBudget(name: ExperimentName, quick: boolean): DemoBudget {
  const full = name === 'generalization' ? GENERALIZATION_BUDGET : ROBUSTNESS_BUDGET;
  return quick ? { ...budgetWithSteps(20), ...QUICK } : full;
}

/** The budget's changes to the paper's settings, named after the experiment, with this experiment's reason. */
export function experimentChanges(name: ExperimentName, budget: DemoBudget): ChangedHyperparameter[] {
  const why = `CPU time budget of the ${name} experiment (≤ 10 minutes on 2 cores)`;
  return changedHyperparameters(budget).map((c) => ({
    ...c,
    name: `${name}: ${c.name}`,
    why: c.why.startsWith('scaled') ? c.why : why,
  }));
}
