/**
 * The tokenizer.json that Hugging Face's CLIP converter (convert_slow_tokenizer's CLIPConverter) builds
 * from a slow tokenizer's vocab.json + merges.txt: NFC, runs of whitespace → one space, lower-case;
 * CLIP's split regex then the byte-level pre-tokenizer; BPE with the `</w>` end-of-word suffix;
 * start and end tokens around every text.
 */
import { readFileSync } from 'node:fs';
import { WemoeError } from '../../errors.js';

/** CLIP's word split: contractions, letter runs, single digits, runs of other non-space characters. */
export const CLIP_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/**
 * The slow CLIPTokenizer reads merges.txt's lines 1 .. 49152 − 256 − 2 (the first line is the
 * `#version` header): the merges of CLIP's 49,408-token vocabulary, whatever else the file holds.
 */
const MAX_MERGES = 49152 - 256 - 2;

export interface SpecialTokens {
  readonly bos: string;
  readonly eos: string;
  readonly unk: string;
}

/** The merges of merges.txt as HF's slow CLIPTokenizer reads them ("a b" per line, header skipped). */
export function readMerges(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WemoeError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const lines = text
    .trim()
    .split('\n')
    .slice(1, MAX_MERGES + 1);
  lines.forEach((line, i) => {
    if (line.split(' ').length !== 2)
      throw new WemoeError(`${path}: line ${i + 2} ${JSON.stringify(line)}: expected two tokens "a b"`);
  });
  return lines;
}

/** The tokenizer.json object for `vocab` (token → id) and `merges`, as Hugging Face converts them. */
export function clipTokenizerJson(
  vocab: Readonly<Record<string, number>>,
  merges: readonly string[],
  special: SpecialTokens,
): Record<string, unknown> {
  const id = (token: string) => {
    const found = vocab[token];
    if (found === undefined) throw new WemoeError(`vocab.json has no special token ${JSON.stringify(token)}`);
    return found;
  };
  const addedToken = (content: string) => ({
    id: id(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const added = [...new Set([special.bos, special.eos, special.unk])].map(addedToken);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.sort((a, b) => a.id - b.id),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [special.eos, id(special.eos)],
      cls: [special.bos, id(special.bos)],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: special.unk,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}
