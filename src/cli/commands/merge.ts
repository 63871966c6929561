import type { Command } from 'commander';
import { loadMergeConfig } from '../../config/merge-config.js';
import { WemoeError } from '../../errors.js';
import { OUTPUT_DTYPES } from '../../methods/resolved-config.js';
import { runMerge } from '../../methods/run-merge.js';

interface MergeCommandOptions {
  set: string[];
  dryRun?: boolean;
  dtype?: string;
  quiet?: boolean;
  resume?: boolean;
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('merge expert models into one as CONFIG.yaml says and write the output folder')
    .argument('<config>', 'merge config (YAML): method, parameters, models, output, ...')
    .option(
      '--set <key=value>',
      'override a config key (dotted, e.g. parameters.scaling_factor=0.5); repeatable',
      collect,
      [],
    )
    .option('--dry-run', 'validate the config and the models, print the plan, write nothing')
    .option(
      '--dtype <dtype>',
      `dtype of the merged tensors: ${OUTPUT_DTYPES.join(' | ')} (default: the config's, else f32)`,
    )
    .option('--quiet', 'no plan or progress output')
    .option('--resume', 'test-time methods: continue an interrupted run from its newest checkpoint')
    .action(async (path: string, options: MergeCommandOptions) => {
      if (options.dtype !== undefined && !(OUTPUT_DTYPES as readonly string[]).includes(options.dtype)) {
        throw new WemoeError(`--dtype ${options.dtype}: expected one of ${OUTPUT_DTYPES.join(', ')}`);
      }
      const overrides = [
        ...options.set,
        ...(options.dtype === undefined ? [] : [`dtype=${options.dtype}`]),
        ...(options.resume ? ['parameters.resume=true'] : []),
      ];
      const config = loadMergeConfig(path, overrides);
      const result = await runMerge(config, {
        dryRun: options.dryRun,
        progress: options.quiet ? 'none' : 'auto',
        log: options.quiet ? () => {} : undefined,
      });
      if (result.dryRun && options.quiet) process.stdout.write(`${result.plan.join('\n')}\n`);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
