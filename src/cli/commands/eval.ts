import type { Command } from 'commander';
import { loadEvalConfig } from '../../config/eval-config.js';
import { runEval } from '../../eval/run-eval.js';

interface EvalCommandOptions {
  set: string[];
  out?: string;
  quiet?: boolean;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'accuracy and mean loss per task of a model (plain CLIP vision or WEMoE) with its heads, or the GLUE scores of a T5 model (plain or WEMoE) on text tasks',
    )
    .argument(
      '<config>',
      'eval config (YAML: model, heads, tasks, ...) or a merge config (evaluates its output)',
    )
    .option(
      '--set <key=value>',
      'override a config key (dotted, e.g. batch_size=64); repeatable',
      collect,
      [],
    )
    .option('--out <dir>', 'write report.json, report.md and report.html here')
    .option('--quiet', 'no progress output')
    .action(async (path: string, options: EvalCommandOptions) => {
      const config = loadEvalConfig(path, options.set);
      const { table, paths } = await runEval(config, {
        out: options.out,
        progress: options.quiet ? 'none' : 'auto',
        log: options.quiet ? () => {} : undefined,
      });
      const written = paths ? `\n\nreports: ${paths.json}, ${paths.md}, ${paths.html}` : '';
      process.stdout.write(`${table}${written}\n`);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
