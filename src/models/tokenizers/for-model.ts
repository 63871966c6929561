/** The tokenizer of a model folder, by its config.json: T5's (SentencePiece) or CLIP's (byte-level BPE). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, readConfig } from '../../io/checkpoint.js';
import { isT5ConfigJson } from '../t5/config.js';
import { loadClipTokenizer } from './clip.js';
import { T5Tokenizer } from './t5.js';

/** Token ids of each text as Hugging Face's `tokenizer(text).input_ids` (special tokens, no padding). */
export async function encodeForModel(dir: string, texts: readonly string[]): Promise<number[][]> {
  const isT5 = existsSync(join(dir, CONFIG_FILE)) && isT5ConfigJson(readConfig(dir));
  return isT5 ? T5Tokenizer.load(dir).encode(texts) : loadClipTokenizer(dir).encode(texts);
}
