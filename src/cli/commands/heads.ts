import type { Command } from 'commander';
import { loadHeadsConfig } from '../../config/heads-config.js';
import { WemoeError } from '../../errors.js';
import { runHeads } from '../../models/zeroshot/build-heads.js';

interface HeadsCommandOptions {
  set: string[];
  dryRun?: boolean;
  quiet?: boolean;
  threads?: string;
}

export function registerHeads(program: Command): void {
  program
    .command('heads')
    .description('build CLIP zero-shot heads (kind clip_zeroshot) from class names and templates')
    .argument('<config>', 'heads config (YAML): model (a full CLIPModel folder), tasks, output')
    .option(
      '--set <key=value>',
      'override a config key (dotted, e.g. tasks.mnist.templates=builtin); repeatable',
      collect,
      [],
    )
    .option('--dry-run', 'check the config, the model and the texts, print the plan, write nothing')
    .option('--quiet', 'no plan or progress output')
    .option('--threads <n>', 'ONNX Runtime intra-op threads (default: all cores)')
    .action(async (path: string, options: HeadsCommandOptions) => {
      const threads = options.threads === undefined ? undefined : Number(options.threads);
      if (threads !== undefined && !(Number.isInteger(threads) && threads > 0))
        throw new WemoeError(`heads: --threads ${options.threads}: expected a positive integer`);
      const config = loadHeadsConfig(path, options.set);
      const result = await runHeads(config, {
        dryRun: options.dryRun,
        progress: options.quiet ? 'none' : 'auto',
        log: options.quiet ? () => {} : undefined,
        threads,
      });
      if (options.dryRun && options.quiet) process.stdout.write(`${result.plan.join('\n')}\n`);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
