import type { Command } from 'commander';
import { WemoeError } from '../../errors.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run every method on the built-in benchmark suite and write the report')
    .option('--quick', 'fewer test-time steps and test subsets (about 2 minutes)')
    .option('--out <dir>', 'output folder (default outputs/demo-<timestamp>)')
    .option('--quiet', 'no progress output')
    .action(() => {
      throw new WemoeError('demo: not built yet (the built-in suite and the demo are open issues)');
    });
}
