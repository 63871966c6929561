/**
 * T5's tokenizer from a model folder's tokenizer.json (SentencePiece Unigram; its post-processor appends
 * `</s>`), run by Hugging Face's own Rust tokenizers through their Node binding, so that ids equal
 * transformers' `tokenizer(text).input_ids`. Batches pad on the right with the pad id (0 in T5).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { WemoeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';

export const TOKENIZER_FILE = 'tokenizer.json';

export interface T5TokenizerOptions {
  /** Id of the pad token (T5: 0, also the decoder start token). */
  readonly padTokenId?: number;
  /** Texts are cut to this many tokens, `</s>` kept last (Hugging Face's truncation=True). */
  readonly maxLength?: number;
}

/** A batch of token ids, right-padded. */
export interface TokenBatch {
  /** [B, S] I64 */
  readonly inputIds: Tensor;
  /** [B, S] I64: 1 = token, 0 = padding */
  readonly attentionMask: Tensor;
}

export class T5Tokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly options: T5TokenizerOptions,
  ) {}

  /** Reads `dir`/tokenizer.json. */
  static load(dir: string, options: T5TokenizerOptions = {}): T5Tokenizer {
    const path = join(dir, TOKENIZER_FILE);
    if (!existsSync(path))
      throw new WemoeError(`${path}: no such file (a T5 folder needs its ${TOKENIZER_FILE})`);
    return T5Tokenizer.fromJson(readFileSync(path, 'utf8'), path, options);
  }

  /** Parses tokenizer.json text; `source` names it in errors. */
  static fromJson(text: string, source: string, options: T5TokenizerOptions = {}): T5Tokenizer {
    try {
      return new T5Tokenizer(Tokenizer.fromString(text), options);
    } catch (error) {
      const reason = String(error instanceof Error ? error.message : error).split('\n')[0];
      throw new WemoeError(`${source}: not a tokenizer.json the tokenizers library reads: ${reason}`);
    }
  }

  /** Token ids of each text, `</s>` appended, no padding. */
  async encode(texts: readonly string[]): Promise<number[][]> {
    const max = this.options.maxLength;
    const encodings = await Promise.all(texts.map((text) => this.tokenizer.encode(text)));
    return encodings.map((e) => {
      const ids = e.getIds();
      // Hugging Face truncates the text's tokens and keeps the appended special token.
      return max !== undefined && ids.length > max ? [...ids.slice(0, max - 1), ids[ids.length - 1]] : ids;
    });
  }

  /** Texts of id lists, special tokens (pad, `</s>`) skipped. */
  decode(ids: readonly (readonly number[])[]): Promise<string[]> {
    return this.tokenizer.decodeBatch(
      ids.map((row) => [...row]),
      true,
    );
  }

  /** Encodes and right-pads a batch to its longest text. */
  async batch(texts: readonly string[]): Promise<TokenBatch> {
    if (texts.length === 0) throw new WemoeError('tokenize: no texts given');
    return padBatch(await this.encode(texts), this.options.padTokenId ?? 0);
  }
}

/** Right-pads id lists with `padId` into [B, S] I64 ids and mask. */
export function padBatch(rows: readonly (readonly number[])[], padId: number): TokenBatch {
  const width = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * width).fill(BigInt(padId));
  const mask = new BigInt64Array(rows.length * width);
  rows.forEach((row, b) => {
    row.forEach((id, i) => {
      ids[b * width + i] = BigInt(id);
      mask[b * width + i] = 1n;
    });
  });
  const shape = [rows.length, width];
  return { inputIds: { dtype: 'I64', shape, data: ids }, attentionMask: { dtype: 'I64', shape, data: mask } };
}
