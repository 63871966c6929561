/** The paper's other experiments: generalization to unseen tasks and robustness to corrupted inputs. */
export { EXPERIMENT_NAMES, type ExperimentName, experimentBudget } from './budget.js';
export * from './builtin.js';
export * from './corrupted-tasks.js';
export * from './generalization.js';
export * from './robustness.js';
export * from './run-experiments.js';
