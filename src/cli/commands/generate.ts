import type { Command } from 'commander';
import { WemoeError } from '../../errors.js';
import { generateTexts } from '../../models/t5/generate-texts.js';

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0))
    throw new WemoeError(`generate: ${flag} ${value}: expected a positive integer`);
  return n;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('greedy text generation with a T5 folder (config.json, model.safetensors, tokenizer.json)')
    .requiredOption('--model <dir>', 'T5 model folder')
    .option('--max-new-tokens <n>', 'most new tokens per answer', '20')
    .option('--json', 'print one JSON array of the answers instead of one answer per line')
    .option('--threads <n>', 'ONNX Runtime intra-op threads (default: all cores)')
    .argument('<texts...>', 'input texts')
    .action(
      async (
        texts: string[],
        o: { model: string; maxNewTokens: string; json?: boolean; threads?: string },
      ) => {
        const answers = await generateTexts({
          model: o.model,
          texts,
          maxNewTokens: positiveInt('--max-new-tokens', o.maxNewTokens),
          threads: positiveInt('--threads', o.threads),
        });
        process.stdout.write(o.json ? `${JSON.stringify(answers)}\n` : answers.map((a) => `${a}\n`).join(''));
      },
    );
}
