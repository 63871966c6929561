/** The `wemoe` command line: each command lives in cli/commands/<name>.ts and registers itself here. */
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.js';
import { registerEval } from './commands/eval.js';
import { registerExport } from './commands/export.js';
import { registerForward } from './commands/forward.js';
import { registerGenerate } from './commands/generate.js';
import { registerHeads } from './commands/heads.js';
import { registerInspect } from './commands/inspect.js';
import { registerMerge } from './commands/merge.js';
import { registerServe } from './commands/serve.js';
import { registerTokenize } from './commands/tokenize.js';
import { errorReport } from './error-line.js';

// --debug is taken from anywhere on the line (before or after the command), so it is removed before parsing.
const debug = process.argv.includes('--debug') || process.env.WEMOE_DEBUG === '1';
const argv = process.argv.filter((arg) => arg !== '--debug');

function fail(error: unknown): never {
  process.stderr.write(errorReport(error, { debug }));
  process.exit(1);
}
// Errors raised outside the awaited command (stream callbacks, workers) end the same way.
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

const program = new Command()
  .name('wemoe')
  .description('Multi-task model merging: task arithmetic, Ties, DARE, AdaMerging, Weight-Ensembling MoE')
  .option('--debug', 'on failure, print the stack trace after the one-line error (or set WEMOE_DEBUG=1)')
  .showHelpAfterError()
  .exitOverride();

registerDemo(program);
registerEval(program);
registerExport(program);
registerForward(program);
registerHeads(program);
registerGenerate(program);
registerInspect(program);
registerMerge(program);
registerServe(program);
registerTokenize(program);

try {
  await program.parseAsync(argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  fail(error);
}
