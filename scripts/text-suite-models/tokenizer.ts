/**
 * The text suite's tokenizer: a T5-style SentencePiece Unigram model trained on the suite's own text by
 * the `tokenizers` library's Unigram trainer (its defaults: EM with pruning towards 8,000 pieces), then
 * cut to the `vocabSize` − 3 − sentinels most probable pieces (every single character kept, so that
 * no corpus text needs `<unk>`; the label words kept whole, so that each answer's first token names
 * it), laid out as T5's: `<pad>` 0, `</s>` 1, `<unk>` 2, the pieces, and the
 * sentinels `<extra_id_0>` … last with `<extra_id_0>` the highest id; `</s>` appended to every text.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  metaspaceDecoder,
  metaspacePreTokenizer,
  nfkcNormalizer,
  sequencePreTokenizer,
  Tokenizer,
  Unigram,
  whitespaceSplitPreTokenizer,
} from 'tokenizers';
import { WemoeError } from '../../src/errors.js';

export const PAD = '<pad>';
export const EOS = '</s>';
export const UNK = '<unk>';

/** `<extra_id_i>`, T5's i-th span sentinel. */
export function sentinel(i: number): string {
  return `<extra_id_${i}>`;
}

/** Id of sentinel i in a vocabulary of `vocabSize` (T5 counts them down from the last id). */
export function sentinelId(vocabSize: number, i: number): number {
  return vocabSize - 1 - i;
}

export interface TokenizerSettings {
  /** Ids in all: the 3 special tokens, the pieces and the sentinels. */
  readonly vocabSize: number;
  readonly sentinels: number;
  /** Words that must be one piece each (`▁word`), such as the tasks' label words. */
  readonly wholeWords?: readonly string[];
}

type Piece = [string, number];

/** The trainer's pieces with their log-probabilities (a throwaway tokenizer, trained and saved to read them). */
function trainPieces(lines: readonly string[]): Piece[] {
  const dir = mkdtempSync(join(tmpdir(), 'text-suite-tokenizer-'));
  try {
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, lines.join('\n'));
    const tokenizer = new Tokenizer(Unigram.empty());
    tokenizer.setNormalizer(nfkcNormalizer());
    tokenizer.setPreTokenizer(sequencePreTokenizer([whitespaceSplitPreTokenizer(), metaspacePreTokenizer()]));
    tokenizer.train([corpus]);
    const saved = join(dir, 'trained.json');
    tokenizer.save(saved);
    return (JSON.parse(readFileSync(saved, 'utf8')) as { model: { vocab: Piece[] } }).model.vocab;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The most probable pieces, every single character and every `required` piece among them (a required
 * piece the trainer dropped gets the least kept score); sorted by score (then text, for determinism).
 */
function selectPieces(pieces: readonly Piece[], count: number, required: readonly string[]): Piece[] {
  const sorted = [...pieces].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const characters = sorted.filter(([p]) => [...p].length === 1).map(([p]) => p);
  const chosen = new Set([...characters, ...required]);
  if (chosen.size > count)
    throw new WemoeError(`tokenizer: ${chosen.size} characters and required pieces do not fit in ${count}`);
  for (const [p] of sorted) {
    if (chosen.size >= count) break;
    chosen.add(p);
  }
  const kept = sorted.filter(([p]) => chosen.has(p));
  const least = kept[kept.length - 1][1];
  const trained = new Set(kept.map(([p]) => p));
  const added = required.filter((p) => !trained.has(p)).map((p): Piece => [p, least]);
  return [...kept, ...added];
}

/** tokenizer.json (Hugging Face's format, T5's layout) trained on `lines`. */
export function buildTokenizerJson(lines: readonly string[], settings: TokenizerSettings): string {
  const { vocabSize, sentinels } = settings;
  const trained = trainPieces(lines);
  const count = vocabSize - 3 - sentinels;
  if (trained.length < count)
    throw new WemoeError(
      `tokenizer: the trainer found ${trained.length} pieces, fewer than the ${count} asked for`,
    );
  const pieces = selectPieces(
    trained,
    count,
    (settings.wholeWords ?? []).map((w) => `▁${w}`),
  );
  const special = [PAD, EOS, UNK];
  const sentinelNames = Array.from({ length: sentinels }, (_, i) => sentinel(sentinels - 1 - i));
  const vocab: Piece[] = [
    ...special.map((t): Piece => [t, 0]),
    ...pieces,
    ...sentinelNames.map((t): Piece => [t, 0]),
  ];
  const added = [...special, ...sentinelNames].map((content) => ({
    id: vocab.findIndex(([p]) => p === content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const tokenizer = new Tokenizer(Unigram.init(vocab, { unkId: 2 }));
  // Read back through the library so the JSON is exactly what it writes and reads.
  const json = JSON.parse(tokenizerJsonOf(tokenizer)) as Record<string, unknown>;
  return `${JSON.stringify({
    ...json,
    added_tokens: added,
    normalizer: { type: 'NFKC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'WhitespaceSplit' },
        { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: EOS, type_id: 0 } }],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: EOS, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: EOS, type_id: 0 } },
      ],
      special_tokens: { [EOS]: { id: EOS, ids: [1], tokens: [EOS] } },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
  })}\n`;
}

function tokenizerJsonOf(tokenizer: Tokenizer): string {
  const dir = mkdtempSync(join(tmpdir(), 'text-suite-tokenizer-'));
  try {
    tokenizer.setDecoder(metaspaceDecoder());
    const path = join(dir, 'tokenizer.json');
    tokenizer.save(path);
    return readFileSync(path, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Hugging Face's tokenizer_config.json and special_tokens_map.json of a T5 tokenizer with `sentinels` extra ids. */
export function tokenizerConfigFiles(sentinels: number): Record<string, unknown> {
  const extra = Array.from({ length: sentinels }, (_, i) => sentinel(i));
  const special = { eos_token: EOS, pad_token: PAD, unk_token: UNK, additional_special_tokens: extra };
  return {
    'tokenizer_config.json': {
      tokenizer_class: 'T5Tokenizer',
      model_max_length: 512,
      extra_ids: 0,
      clean_up_tokenization_spaces: false,
      ...special,
    },
    'special_tokens_map.json': special,
  };
}
