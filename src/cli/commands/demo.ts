import type { Command } from 'commander';
import { runAllDemos } from '../../demo/combine.js';
import {
  parseExperimentNames,
  parseSeverity,
  runBuiltinExperiments,
} from '../../demo/experiments/builtin.js';
import { type DemoOutcome, demoBudget, runDemo, selectMethods } from '../../demo/run-demo.js';
import { loadBuiltinSuite } from '../../demo/suite.js';
import { loadTextSuite } from '../../demo/text-suite.js';
import { WemoeError } from '../../errors.js';

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
}

interface DemoFlags {
  quick?: boolean;
  out?: string;
  methods?: string;
  quiet?: boolean;
  experiment?: string;
  severity?: string;
  unseen?: string;
  suite?: string;
}

const SUITES = ['vision', 'text', 'all'] as const;
type SuiteName = (typeof SUITES)[number];

function parseSuite(name: string | undefined): SuiteName {
  if (name === undefined) return 'vision';
  if (!(SUITES as readonly string[]).includes(name))
    throw new WemoeError(`demo: --suite ${name}: unknown; expected one of ${SUITES.join(', ')}`);
  return name as SuiteName;
}

/** Loads the suites `suite` names (test subsets per the quick budget) and runs the demo on them. */
async function runSuites(suite: SuiteName, o: DemoFlags, log: (line: string) => void): Promise<DemoOutcome> {
  const quick = o.quick ?? false;
  const methods = o.methods?.split(',').map((m) => m.trim());
  // An unknown id fails before a suite is loaded.
  selectMethods(methods, { text: suite !== 'vision' });
  const options = {
    out: o.out ?? `outputs/demo-${timestamp()}`,
    quick,
    methods,
    progress: o.quiet ? ('none' as const) : ('auto' as const),
    log,
  };
  const limit = (kind: 'vision' | 'text', what: string) => {
    const n = demoBudget({ quick, suite: kind }).testLimit;
    return n ? ` (first ${n} test ${what} per task)` : '';
  };
  const vision = () => {
    log(`loading the built-in suite${limit('vision', 'images')}`);
    return loadBuiltinSuite(demoBudget({ quick }).testLimit);
  };
  const text = () => {
    log(`loading the built-in text suite${limit('text', 'prompts')}`);
    return loadTextSuite({ limit: demoBudget({ quick, suite: 'text' }).testLimit });
  };
  if (suite === 'vision') return runDemo(vision(), options);
  if (suite === 'text') return runDemo(await text(), options);
  // Both suites load before either runs: a missing one fails in seconds, not after the vision demo.
  const suites = { text: await text(), vision: vision() };
  return runAllDemos(suites, options);
}

async function experimentsAction(o: DemoFlags, log: (line: string) => void, began: number) {
  const experiments = parseExperimentNames(o.experiment ?? '');
  const severity = o.severity === undefined ? undefined : parseSeverity(o.severity);
  log(`loading the built-in suite for ${experiments.join(' and ')}`);
  const { tables, paths } = await runBuiltinExperiments({
    experiments,
    out: o.out ?? `outputs/demo-${timestamp()}`,
    quick: o.quick ?? false,
    severity,
    unseen: o.unseen?.split(',').map((t) => t.trim()),
    progress: o.quiet ? 'none' : 'auto',
    log,
  });
  process.stdout.write(`${tables}\n\nreports: ${paths.json}, ${paths.md}, ${paths.html}\n`);
  process.stdout.write(`total time ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      "run every method of the paper's Table 2 on the built-in benchmark suite (or the text suite's GLUE table) and write the report",
    )
    .option('--quick', 'fewer test-time steps and test subsets (about 2 minutes)')
    .option('--out <dir>', 'output folder (default outputs/demo-<timestamp>)')
    .option(
      '--methods <ids>',
      "comma-separated method ids (default: the paper's rows), e.g. ties,wemoe_depth2; wemoe_depth2_attention adds the attention ablation",
    )
    .option(
      '--suite <name>',
      'vision (default), text (eight GLUE-like tasks on a tiny T5), or all: both into one report',
    )
    .option('--quiet', 'no progress output')
    .option(
      '--experiment <names>',
      "the paper's other experiments instead of Table 2: generalization, robustness (comma-separated); added to --out's report when there is one",
    )
    .option('--severity <n>', 'robustness: corruption severity 1–5 (default 2)')
    .option('--unseen <tasks>', 'generalization: comma-separated held-out tasks (default mnist,greek)')
    .action(async (o: DemoFlags) => {
      const began = performance.now();
      const quick = o.quick ?? false;
      const log = o.quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
      const suite = parseSuite(o.suite);
      if (o.experiment !== undefined && suite !== 'vision')
        throw new WemoeError(`demo: --experiment runs on the vision suite; got --suite ${suite}`);
      if (o.experiment !== undefined) return experimentsAction(o, log, began);
      const { table, paths, web } = await runSuites(suite, o, log);
      if (quick) {
        const kinds = suite === 'all' ? (['vision', 'text'] as const) : [suite];
        for (const kind of kinds) {
          const budget = demoBudget({ quick, suite: kind });
          const what = kind === 'text' ? 'prompts' : 'images';
          process.stdout.write(
            `Quick mode: ${budget.ttaSteps} adaptation steps, ${budget.testLimit} test ${what} per task.\n`,
          );
        }
      }
      process.stdout.write(`${table}\n\nreports: ${paths.json}, ${paths.md}, ${paths.html}\n`);
      if (web) process.stdout.write(`web page: wemoe serve ${web.dir}\n`);
      process.stdout.write(`total time ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
    });
}
