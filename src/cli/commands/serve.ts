import type { Command } from 'commander';
import { WemoeError } from '../../errors.js';
import { serveExport } from '../../export/serve.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve an export folder written with --web on localhost (Ctrl-C stops)')
    .argument('<dir>', 'the export folder (index.html, onnx/model.onnx, ...)')
    .option('--port <n>', 'port (default: a free one)', '0')
    .action(async (dir: string, o: { port: string }) => {
      const port = Number(o.port);
      if (!(Number.isInteger(port) && port >= 0 && port < 65536))
        throw new WemoeError(`serve: --port ${o.port}: expected an integer from 0 to 65535`);
      const { url } = await serveExport(dir, { port });
      process.stdout.write(`serving ${dir} at ${url} (Ctrl-C stops)\n`);
    });
}
