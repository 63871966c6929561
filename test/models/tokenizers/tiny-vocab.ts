/**
 * A tiny CLIP BPE vocabulary laid out as CLIP's is: the 256 byte-level characters, the same with `</w>`,
 * one token per merge, then the start and end tokens. Written to a folder as tokenizer.json (the layout
 * of openai/clip-vit-base-patch32's file) or as vocab.json + merges.txt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** GPT-2's byte → printable character map, in its own order (the order of CLIP's first 256 ids). */
export function byteCharacters(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const chars = printable.map((b) => String.fromCodePoint(b));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) chars.push(String.fromCodePoint(256 + n++));
  return chars;
}

/** Merges by rank; merge r makes token 512 + r. */
export const TINY_MERGES = [
  'h e', // 512 he
  'l l', // 513 ll
  'he ll', // 514 hell
  'hell o</w>', // 515 hello</w>
  "' s</w>", // 516 's</w>
  'c a', // 517 ca
  'ca t</w>', // 518 cat</w>
  'Ã ©</w>', // 519 é</w> (bytes C3 A9)
];
export const BOS = 520;
export const EOS = 521;
export const TINY_VOCAB_SIZE = 522;

export function tinyVocab(): Record<string, number> {
  const tokens = byteCharacters();
  const all = [...tokens, ...tokens.map((t) => `${t}</w>`), ...TINY_MERGES.map((m) => m.replace(' ', ''))];
  all.push('<|startoftext|>', '<|endoftext|>');
  return Object.fromEntries(all.map((t, i) => [t, i]));
}

/** vocab.json + merges.txt (with the `#version` header line), as the slow tokenizer's files. */
export function writeVocabAndMerges(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(tinyVocab()));
  writeFileSync(join(dir, 'merges.txt'), `#version: 0.2\n${TINY_MERGES.join('\n')}\n`);
}

/** tokenizer.json with the fields of openai/clip-vit-base-patch32's file. */
export function writeTokenizerJson(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(BOS, '<|startoftext|>'), special(EOS, '<|endoftext|>')],
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
        {
          type: 'Split',
          pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['<|endoftext|>', EOS],
      cls: ['<|startoftext|>', BOS],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<|endoftext|>',
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      vocab: tinyVocab(),
      merges: TINY_MERGES,
    },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
}
