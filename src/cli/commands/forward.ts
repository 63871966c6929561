import type { Command } from 'commander';
import { WemoeError } from '../../errors.js';
import { forwardFile } from '../../models/forward-file.js';
import { shapeString } from '../../tensor/tensor.js';

export function registerForward(program: Command): void {
  program
    .command('forward')
    .description(
      'run a model (CLIP vision, full CLIPModel or WEMoE folder) on pixel_values and/or input_ids and save its outputs',
    )
    .requiredOption('--model <dir>', 'model folder (config.json + model.safetensors)')
    .requiredOption(
      '--input <file>',
      'safetensors with pixel_values [B, C, H, W] float32 and/or input_ids [B, S] int64 (+ attention_mask)',
    )
    .requiredOption(
      '--output <file>',
      'safetensors to write: pooler_output, last_hidden_state (+ logits, routing_weights; text_embeds, text_pooler_output)',
    )
    .option('--heads <file>', 'heads.safetensors (with --task: adds logits [B, K])')
    .option('--task <name>', 'the task whose head gives the logits')
    .option('--threads <n>', 'ONNX Runtime intra-op threads (default: all cores)')
    .action(
      async (o: {
        model: string;
        input: string;
        output: string;
        heads?: string;
        task?: string;
        threads?: string;
      }) => {
        const threads = o.threads === undefined ? undefined : Number(o.threads);
        if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
          throw new WemoeError(`forward: --threads ${o.threads}: expected a positive integer`);
        }
        const result = await forwardFile({ ...o, threads });
        const summary = Object.entries(result).map(([name, t]) => `${name} ${shapeString(t.shape)}`);
        process.stdout.write(`${o.output}: ${summary.join(', ')}\n`);
      },
    );
}
