/** `wemoe generate` as a library call: greedy answers of a T5 folder (weights + tokenizer.json) to texts. */
import { WemoeError } from '../../errors.js';
import { T5Tokenizer } from '../tokenizers/t5.js';
import { T5Runner } from './runner.js';
import { generateAnswers } from './text-to-text.js';

export interface GenerateTextsOptions {
  /** T5 folder: config.json, model.safetensors (or shards), tokenizer.json. */
  readonly model: string;
  readonly texts: readonly string[];
  /** Most new tokens per answer (default 20). */
  readonly maxNewTokens?: number;
  readonly threads?: number;
}

/** The greedy answer of each text, special tokens skipped. */
export async function generateTexts(options: GenerateTextsOptions): Promise<string[]> {
  if (options.texts.length === 0) throw new WemoeError('generate: give at least one text');
  const runner = T5Runner.load(options.model, { threads: options.threads });
  try {
    const tokenizer = T5Tokenizer.load(options.model, { padTokenId: runner.config.padTokenId });
    return await generateAnswers(runner, tokenizer, options.texts, { maxNewTokens: options.maxNewTokens });
  } finally {
    await runner.dispose();
  }
}
