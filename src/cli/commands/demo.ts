import type { Command } from 'commander';
import {
  parseExperimentNames,
  parseSeverity,
  runBuiltinExperiments,
} from '../../demo/experiments/builtin.js';
import { demoBudget, runDemo, selectMethods } from '../../demo/run-demo.js';
import { loadBuiltinSuite } from '../../demo/suite.js';

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
      "run every method of the paper's Table 2 on the built-in benchmark suite and write the report",
    )
    .option('--quick', 'fewer test-time steps and test subsets (about 2 minutes)')
    .option('--out <dir>', 'output folder (default outputs/demo-<timestamp>)')
    .option(
      '--methods <ids>',
      "comma-separated method ids (default: the paper's rows), e.g. ties,wemoe_depth2; wemoe_depth2_attention adds the attention ablation",
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
      if (o.experiment !== undefined) return experimentsAction(o, log, began);
      const budget = demoBudget({ quick });
      const methods = o.methods?.split(',').map((m) => m.trim());
      selectMethods(methods); // an unknown id fails before the suite is loaded
      log(
        `loading the built-in suite${budget.testLimit ? ` (first ${budget.testLimit} test images per task)` : ''}`,
      );
      const suite = loadBuiltinSuite(budget.testLimit);
      const { table, paths, web } = await runDemo(suite, {
        out: o.out ?? `outputs/demo-${timestamp()}`,
        quick,
        methods,
        progress: o.quiet ? 'none' : 'auto',
        log,
      });
      if (quick)
        process.stdout.write(
          `Quick mode: ${budget.ttaSteps} adaptation steps, ${budget.testLimit} test images per task.\n`,
        );
      process.stdout.write(`${table}\n\nreports: ${paths.json}, ${paths.md}, ${paths.html}\n`);
      if (web) process.stdout.write(`web page: wemoe serve ${web.dir}\n`);
      process.stdout.write(`total time ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
    });
}
