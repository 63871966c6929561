import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadClipTokenizer, padIds } from '../../../src/models/tokenizers/clip.js';
import { BOS, EOS, writeTokenizerJson, writeVocabAndMerges } from './tiny-vocab.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-clip-tokenizer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const jsonDir = join(root, 'json');
const slowDir = join(root, 'slow');
writeTokenizerJson(jsonDir);
writeVocabAndMerges(slowDir);

// A printable ASCII character c has id c − 33 (GPT-2's byte order); with `</w>`, 256 more.
const id = (c: string) => c.charCodeAt(0) - 33;
const end = (c: string) => 256 + id(c);
const WORLD = [id('w'), id('o'), id('r'), id('l'), end('d')];

/** Each text with the ids derived by hand from the tiny vocabulary's merges. */
const CASES: [string, number[]][] = [
  // lower-cased; "hello" merges fully (he, ll, hell, hello</w>); punctuation is its own word
  ['Hello, World!', [BOS, 515, end(','), ...WORLD, end('!'), EOS]],
  // every digit is a word of its own
  ['abc 2024', [BOS, id('a'), id('b'), end('c'), end('2'), end('0'), end('2'), end('4'), EOS]],
  // "'s" is split off; "he" does not merge across the word end (e</w>); c a → ca, ca t</w> → cat</w>
  ["the cat's", [BOS, id('t'), id('h'), end('e'), 518, 516, EOS]],
  // é is two bytes Ã © (0xC3 0xA9), merged into é</w>; the decomposed form is composed first (NFC)
  ['Café', [BOS, 517, id('f'), 519, EOS]],
  ['Cafe\u0301', [BOS, 517, id('f'), 519, EOS]],
  // 😀 = F0 9F 98 80: byte-level ids 172 (ð), 253, 246 and 222 + 256 (</w>)
  ['😀', [BOS, 172, 253, 246, 478, EOS]],
  // whitespace runs of any kind separate words and vanish
  ['  hello\n\t world  ', [BOS, 515, ...WORLD, EOS]],
  ['', [BOS, EOS]],
  // 100 words truncated to the context of 77: 75 words between the start and end tokens
  ['a '.repeat(100), [BOS, ...Array(75).fill(end('a')), EOS]],
];

describe('CLIP tokenizer', () => {
  for (const [form, dir] of [
    ['tokenizer.json', jsonDir],
    ['vocab.json + merges.txt', slowDir],
  ]) {
    it(`gives the pinned ids from ${form}`, async () => {
      const tokenizer = loadClipTokenizer(dir);
      expect(tokenizer.contextLength).toBe(77);
      expect(tokenizer.padId).toBe(EOS);
      const ids = await tokenizer.encode(CASES.map(([text]) => text));
      CASES.forEach(([text, expected], i) => {
        expect(ids[i], JSON.stringify(text)).toEqual(expected);
      });
    });
  }

  it('gives equal ids from both file forms on mixed text', async () => {
    const texts = [
      'A photo of a TRAFFIC sign: "stop" (2x)!',
      "it's, they're, we've, I'm, you'll, he'd",
      'naïve façade Ωmega — ½ × 3² … ✓ 日本語',
      'tabs\tand\r\nnewlines  ',
    ];
    const [a, b] = await Promise.all([
      loadClipTokenizer(jsonDir).encode(texts),
      loadClipTokenizer(slowDir).encode(texts),
    ]);
    expect(a).toEqual(b);
    expect(a.every((row) => row[0] === BOS && row.at(-1) === EOS)).toBe(true);
  });

  it('takes the context length from tokenizer_config.json', async () => {
    const dir = join(root, 'short');
    writeVocabAndMerges(dir);
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 5 }));
    const [ids] = await loadClipTokenizer(dir).encode(['a b c d e f']);
    expect(ids).toEqual([BOS, end('a'), end('b'), end('c'), EOS]);
  });

  it('pads to the longest text with a mask', () => {
    const { inputIds, attentionMask } = padIds(
      [
        [BOS, 7, EOS],
        [BOS, EOS],
      ],
      EOS,
    );
    expect(inputIds.shape).toEqual([2, 3]);
    expect([...(inputIds.data as BigInt64Array)]).toEqual([520n, 7n, 521n, 520n, 521n, 521n]);
    expect([...(attentionMask.data as BigInt64Array)]).toEqual([1n, 1n, 1n, 1n, 1n, 0n]);
  });

  it('names the folder when there is no tokenizer', () => {
    expect(() => loadClipTokenizer(join(root, 'nothing'))).toThrow(
      /nothing: no tokenizer: expected tokenizer.json, or vocab.json and merges.txt/,
    );
  });
});
