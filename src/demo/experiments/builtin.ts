/** The experiments on the built-in suite, as `wemoe demo --experiment ...` runs them. */
import { defaultProcessorConfig } from '../../data/preprocess/config.js';
import { loadSuiteSplit } from '../../data/suite.js';
import { WemoeError } from '../../errors.js';
import type { ProgressMode } from '../../util/progress.js';
import { loadBuiltinSuite } from '../suite.js';
import { EXPERIMENT_NAMES, type ExperimentName } from './budget.js';
import { type ExperimentsOutcome, runExperiments } from './run-experiments.js';

export interface BuiltinExperimentsOptions {
  readonly experiments: readonly ExperimentName[];
  readonly out: string;
  readonly quick?: boolean;
  /** Robustness severity, 1–5 (default 2). */
  readonly severity?: number;
  /** Generalization: held-out tasks (default mnist, greek). */
  readonly unseen?: readonly string[];
  readonly progress?: ProgressMode;
  readonly log?: (line: string) => void;
}

/** `generalization,robustness` → the names, each checked. */
export function parseExperimentNames(text: string): ExperimentName[] {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length === 0)
    throw new WemoeError(`demo: --experiment: expected one or more of ${EXPERIMENT_NAMES.join(', ')}`);
  for (const name of names) {
    if (!(EXPERIMENT_NAMES as readonly string[]).includes(name))
      throw new WemoeError(
        `demo: --experiment ${name}: unknown; known experiments: ${EXPERIMENT_NAMES.join(', ')}`,
      );
  }
  return [...new Set(names)] as ExperimentName[];
}

/** `--severity N` → N, an integer 1–5. */
export function parseSeverity(text: string): number {
  const severity = Number(text);
  if (!Number.isInteger(severity) || severity < 1 || severity > 5)
    throw new WemoeError(`demo: --severity ${text}: expected an integer 1–5`);
  return severity;
}

export function runBuiltinExperiments(options: BuiltinExperimentsOptions): Promise<ExperimentsOutcome> {
  const suite = loadBuiltinSuite();
  return runExperiments(suite, {
    out: options.out,
    experiments: options.experiments,
    quick: options.quick,
    unseen: options.unseen,
    robustness: {
      severity: options.severity,
      rawTestSet: (task) => loadSuiteSplit(task, 'test'),
      processor: defaultProcessorConfig(suite.config.imageSize),
    },
    progress: options.progress,
    log: options.log,
  });
}
