/** A tiny T5-style tokenizer.json: SentencePiece Unigram, Metaspace, `</s>` appended by the post-processor. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
const eos = { SpecialToken: { id: '</s>', type_id: 0 } };

/** Pieces and log-probabilities; ids are the positions. */
export const TINY_VOCAB: [string, number][] = [
  ['<pad>', 0],
  ['</s>', 0],
  ['<unk>', 0],
  ['▁', -2],
  ['▁the', -1],
  ['▁cat', -1.5],
  ['▁ca', -3],
  ['t', -3],
  ['s', -3.5],
  ['▁sat', -2],
  ['a', -4],
  ['▁yes', -2],
  ['▁no', -2],
  ['.', -2.5],
];

export const TINY_TOKENIZER = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [special(0, '<pad>'), special(1, '</s>'), special(2, '<unk>')],
  normalizer: { type: 'NFKC' },
  pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, metaspace] },
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ Sequence: { id: 'A', type_id: 0 } }, eos],
    pair: [{ Sequence: { id: 'A', type_id: 0 } }, eos, { Sequence: { id: 'B', type_id: 0 } }, eos],
    special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
  },
  decoder: metaspace,
  model: { type: 'Unigram', unk_id: 2, byte_fallback: false, vocab: TINY_VOCAB },
};

/** Writes the tiny tokenizer.json into `dir`. */
export function writeTinyTokenizer(dir: string): void {
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(TINY_TOKENIZER));
}
