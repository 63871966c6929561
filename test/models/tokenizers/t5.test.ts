import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { T5Tokenizer } from '../../../src/models/tokenizers/t5.js';
import { writeTinyTokenizer } from './t5-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-t5-tok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeTinyTokenizer(dir);

describe('T5 tokenizer (tokenizer.json through Hugging Face tokenizers)', () => {
  it('gives the Unigram ids with </s> appended', async () => {
    const tok = T5Tokenizer.load(dir);
    expect(await tok.encode(['the cat sat', 'cats', 'The  cat sat.', 'ｃat', ''])).toEqual([
      [4, 5, 9, 1], // ▁the ▁cat ▁sat </s>
      [5, 8, 1], // ▁cat (−1.5) + s (−3.5) beats ▁ca + t + s (−9.5)
      [3, 2, 5, 9, 13, 1], // ▁ <unk>("The", unknown characters fused) ▁cat ▁sat .
      [5, 1], // NFKC maps the full-width ｃ to c
      [1],
    ]);
  });

  it('pads batches on the right with id 0 and truncates keeping </s>', async () => {
    const batch = await T5Tokenizer.load(dir).batch(['cats', 'the cat sat']);
    expect(batch.inputIds.shape).toEqual([2, 4]);
    expect(Array.from(batch.inputIds.data as BigInt64Array, Number)).toEqual([5, 8, 1, 0, 4, 5, 9, 1]);
    expect(Array.from(batch.attentionMask.data as BigInt64Array, Number)).toEqual([1, 1, 1, 0, 1, 1, 1, 1]);
    const short = T5Tokenizer.load(dir, { maxLength: 3 });
    expect(await short.encode(['the cat sat', 'no'])).toEqual([
      [4, 5, 1],
      [12, 1],
    ]);
  });

  it('decodes ids back to text, special tokens skipped', async () => {
    expect(await T5Tokenizer.load(dir).decode([[4, 5, 9, 13, 1, 0], [11, 1], []])).toEqual([
      'the cat sat.',
      'yes',
      '',
    ]);
  });

  it('names the file when tokenizer.json is missing or unreadable', () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    expect(() => T5Tokenizer.load(empty)).toThrow(`${join(empty, 'tokenizer.json')}: no such file`);
    writeFileSync(join(empty, 'tokenizer.json'), '{"model": 3}');
    expect(() => T5Tokenizer.load(empty)).toThrow(
      `${join(empty, 'tokenizer.json')}: not a tokenizer.json the tokenizers library reads`,
    );
  });
});
