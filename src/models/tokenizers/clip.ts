/**
 * The CLIP tokenizer of a model folder, through Hugging Face's own Rust tokenizers (npm `tokenizers`):
 * tokenizer.json when present, else vocab.json + merges.txt converted as transformers converts them.
 * Ids are those of Hugging Face's `tokenizer(text, truncation=True).input_ids`: start and end tokens,
 * at most the context length (77).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { WemoeError } from '../../errors.js';
import { readJsonObject } from '../../io/json-file.js';
import type { Tensor } from '../../tensor/tensor.js';
import { clipTokenizerJson, readMerges, type SpecialTokens } from './clip-tokenizer-json.js';

const TOKENIZER_JSON = 'tokenizer.json';
const VOCAB_JSON = 'vocab.json';
const MERGES_TXT = 'merges.txt';
const TOKENIZER_CONFIG = 'tokenizer_config.json';
const DEFAULT_CONTEXT = 77;
/** transformers writes a huge model_max_length (int(1e30)) when the tokenizer sets none. */
const NO_LIMIT = 1e9;

const DEFAULT_SPECIAL: SpecialTokens = { bos: '<|startoftext|>', eos: '<|endoftext|>', unk: '<|endoftext|>' };

export interface ClipTokenizer {
  /** The folder it was read from, and which files. */
  readonly source: string;
  /** Most tokens per text, start and end tokens included. */
  readonly contextLength: number;
  /** The id padding uses (tokenizer_config's pad_token, else the end token). */
  readonly padId: number;
  /** Ids of each text: start token, the text's tokens, end token; truncated to contextLength. */
  encode(texts: readonly string[]): Promise<number[][]>;
}

/** A special token of tokenizer_config.json: a string or an AddedToken object `{content}`. */
function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { content?: unknown }).content === 'string'
  )
    return (value as { content: string }).content;
  return undefined;
}

function readTokenizerConfig(dir: string): Record<string, unknown> {
  const path = join(dir, TOKENIZER_CONFIG);
  return existsSync(path) ? readJsonObject(path) : {};
}

/** The context length: tokenizer_config's model_max_length when set, else the text config's, else 77. */
function contextLength(dir: string, config: Record<string, unknown>): number {
  const declared = config.model_max_length;
  if (typeof declared === 'number' && Number.isInteger(declared) && declared > 0 && declared < NO_LIMIT)
    return declared;
  const modelConfig = join(dir, 'config.json');
  if (existsSync(modelConfig)) {
    const json = readJsonObject(modelConfig);
    const text = (json.text_config ?? json) as Record<string, unknown>;
    if (typeof text.max_position_embeddings === 'number') return text.max_position_embeddings;
  }
  return DEFAULT_CONTEXT;
}

function fromVocabAndMerges(dir: string, config: Record<string, unknown>): Tokenizer {
  const vocab = readJsonObject(join(dir, VOCAB_JSON));
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id))
      throw new WemoeError(
        `${join(dir, VOCAB_JSON)}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected an integer`,
      );
  }
  const special: SpecialTokens = {
    bos: tokenString(config.bos_token) ?? DEFAULT_SPECIAL.bos,
    eos: tokenString(config.eos_token) ?? DEFAULT_SPECIAL.eos,
    unk: tokenString(config.unk_token) ?? DEFAULT_SPECIAL.unk,
  };
  const json = clipTokenizerJson(vocab as Record<string, number>, readMerges(join(dir, MERGES_TXT)), special);
  try {
    return Tokenizer.fromString(JSON.stringify(json));
  } catch (error) {
    throw new WemoeError(
      `${dir}: vocab.json + merges.txt do not make a tokenizer (${(error as Error).message})`,
    );
  }
}

function fromTokenizerJson(path: string): Tokenizer {
  try {
    return Tokenizer.fromFile(path);
  } catch (error) {
    throw new WemoeError(`${path}: not a Hugging Face tokenizer.json (${(error as Error).message})`);
  }
}

/** Reads the tokenizer of a CLIP model folder. */
export function loadClipTokenizer(dir: string): ClipTokenizer {
  const config = readTokenizerConfig(dir);
  const hasJson = existsSync(join(dir, TOKENIZER_JSON));
  if (!hasJson && !(existsSync(join(dir, VOCAB_JSON)) && existsSync(join(dir, MERGES_TXT)))) {
    throw new WemoeError(
      `${dir}: no tokenizer: expected ${TOKENIZER_JSON}, or ${VOCAB_JSON} and ${MERGES_TXT}`,
    );
  }
  const tokenizer = hasJson ? fromTokenizerJson(join(dir, TOKENIZER_JSON)) : fromVocabAndMerges(dir, config);
  const context = contextLength(dir, config);
  tokenizer.setTruncation(context);
  tokenizer.disablePadding();
  const padToken = tokenString(config.pad_token) ?? tokenString(config.eos_token) ?? DEFAULT_SPECIAL.eos;
  const padId = tokenizer.tokenToId(padToken);
  if (padId === null || padId === undefined)
    throw new WemoeError(`${dir}: the tokenizer has no token ${JSON.stringify(padToken)} to pad with`);
  return {
    source: `${dir} (${hasJson ? TOKENIZER_JSON : `${VOCAB_JSON} + ${MERGES_TXT}`})`,
    contextLength: context,
    padId,
    async encode(texts) {
      const encodings = await tokenizer.encodeBatch([...texts]);
      return encodings.map((e) => e.getIds());
    },
  };
}

/**
 * input_ids and attention_mask I64 [N, S] of token id lists, right-padded with `padId` to the longest
 * (or to `length` when given, e.g. one length for every batch of a run).
 */
export function padIds(
  ids: readonly (readonly number[])[],
  padId: number,
  length?: number,
): { inputIds: Tensor; attentionMask: Tensor } {
  const s = length ?? Math.max(1, ...ids.map((row) => row.length));
  if (ids.some((row) => row.length > s)) throw new WemoeError(`padIds: a row is longer than ${s} tokens`);
  const input = new BigInt64Array(ids.length * s).fill(BigInt(padId));
  const mask = new BigInt64Array(ids.length * s);
  ids.forEach((row, i) => {
    row.forEach((id, j) => {
      input[i * s + j] = BigInt(id);
      mask[i * s + j] = 1n;
    });
  });
  return {
    inputIds: { dtype: 'I64', shape: [ids.length, s], data: input },
    attentionMask: { dtype: 'I64', shape: [ids.length, s], data: mask },
  };
}
