/** The `wemoe` command line: each command lives in cli/commands/<name>.ts and registers itself here. */
import { Command, CommanderError } from 'commander';
import { WemoeError } from '../errors.js';
import { registerDemo } from './commands/demo.js';
import { registerEval } from './commands/eval.js';
import { registerExport } from './commands/export.js';
import { registerForward } from './commands/forward.js';
import { registerInspect } from './commands/inspect.js';
import { registerMerge } from './commands/merge.js';
import { registerServe } from './commands/serve.js';

const program = new Command()
  .name('wemoe')
  .description('Multi-task model merging: task arithmetic, Ties, DARE, AdaMerging, Weight-Ensembling MoE')
  .showHelpAfterError()
  .exitOverride();

registerDemo(program);
registerEval(program);
registerExport(program);
registerForward(program);
registerInspect(program);
registerMerge(program);
registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const message =
    error instanceof WemoeError ? error.message : String(error instanceof Error ? error.stack : error);
  process.stderr.write(`wemoe: ${message}\n`);
  process.exit(1);
}
