import type { Command } from 'commander';
import { encodeForModel } from '../../models/tokenizers/for-model.js';

export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description(
      "print the token ids of each text (CLIP or T5 folder), as Hugging Face's tokenizer(text).input_ids",
    )
    .requiredOption('--model <dir>', 'model folder with tokenizer.json (CLIP: or vocab.json + merges.txt)')
    .option('--json', 'print one JSON array of id arrays')
    .argument('<text...>', 'texts to tokenize')
    .action(async (texts: string[], options: { model: string; json?: boolean }) => {
      const ids = await encodeForModel(options.model, texts);
      const text = options.json ? JSON.stringify(ids) : ids.map((row) => row.join(' ')).join('\n');
      process.stdout.write(`${text}\n`);
    });
}
