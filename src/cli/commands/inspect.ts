import type { Command } from 'commander';
import { escapeControl, terminalSafeJson } from '../../errors.js';
import { type CheckpointSummary, inspectCheckpoint } from '../../io/inspect.js';
import { shapeString } from '../../tensor/tensor.js';

/** A plain-text table of name, dtype and shape, then the metadata and the totals. */
export function formatSummary(summary: CheckpointSummary): string {
  const rows = summary.tensors.map((t) => [escapeControl(t.name), t.dtype, shapeString(t.shape)]);
  const widths = [0, 1].map((c) => Math.max(c === 0 ? 4 : 5, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    `${cells[0].padEnd(widths[0])}  ${cells[1].padEnd(widths[1])}  ${cells[2]}`.trimEnd();
  const out = [line(['name', 'dtype', 'shape']), ...rows.map(line), ''];
  const metadata = Object.entries(summary.metadata);
  if (metadata.length > 0)
    out.push('metadata:', ...metadata.map(([k, v]) => `  ${escapeControl(k)}: ${escapeControl(v)}`), '');
  out.push(`${summary.tensors.length} tensors, ${summary.parameters.toLocaleString('en-US')} parameters`);
  return `${out.join('\n')}\n`;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'list the tensors (name, dtype, shape), metadata and parameter count of a checkpoint file or folder',
    )
    .argument('<path>', 'a .safetensors file, a model.safetensors.index.json, or a model folder')
    .option('--json', 'print {"tensors":[{"name","dtype","shape"}],"metadata":{...},"parameters":N}')
    .action((path: string, options: { json?: boolean }) => {
      const summary = inspectCheckpoint(path);
      process.stdout.write(options.json ? `${terminalSafeJson(summary)}\n` : formatSummary(summary));
    });
}
