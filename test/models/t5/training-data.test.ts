import { describe, expect, it } from 'vitest';
import { spanCorrupt } from '../../../scripts/text-suite-models/span-corruption.js';
import { buildTokenizerJson, sentinel, sentinelId } from '../../../scripts/text-suite-models/tokenizer.js';
import { createRandom } from '../../../src/data/random.js';
import { T5Tokenizer } from '../../../src/models/tokenizers/t5.js';

describe('span corruption (the text suite pre-training objective)', () => {
  const tokens = Array.from({ length: 40 }, (_, i) => 100 + i);
  const sentinels = [90, 91, 92, 93, 94, 95];

  it('hides 15% of the tokens in spans; source and target interleave back to the text', () => {
    for (let seed = 0; seed < 20; seed++) {
      const { source, target } = spanCorrupt(
        tokens,
        createRandom(seed),
        sentinels,
        { density: 0.15, meanSpan: 3 },
        1,
      );
      expect(source.at(-1)).toBe(1);
      expect(target.at(-1)).toBe(1);
      const spans = source.filter((id) => sentinels.includes(id));
      expect(spans).toEqual(sentinels.slice(0, spans.length));
      expect(spans.length).toBe(2); // round(6 / 3)
      expect(target.filter((id) => id >= 100)).toHaveLength(6); // round(40 · 0.15)
      // Each sentinel in the source stands for the tokens after it in the target.
      const restored: number[] = [];
      for (const id of source.slice(0, -1)) {
        if (!sentinels.includes(id)) restored.push(id);
        else {
          const at = target.indexOf(id) + 1;
          const next = target.findIndex((t, i) => i >= at && sentinels.includes(t));
          restored.push(...target.slice(at, next));
        }
      }
      expect(restored).toEqual(tokens);
    }
  });
});

describe('the text suite tokenizer (Unigram trained by the tokenizers library, T5 layout)', () => {
  const words = ['red', 'green', 'blue', 'apple', 'grape', 'lemon', 'yes', 'no', 'sweet', 'sour'];
  const random = createRandom(4);
  const lines = Array.from({ length: 400 }, () =>
    Array.from({ length: 8 }, () => words[random.int(words.length)]).join(' '),
  );
  const json = buildTokenizerJson(lines, { vocabSize: 27, sentinels: 4, wholeWords: ['grapefruit'] });

  it('puts <pad>, </s>, <unk> at 0, 1, 2 and the sentinels last; appends </s>; round-trips text', async () => {
    const parsed = JSON.parse(json) as { model: { vocab: [string, number][]; unk_id: number } };
    const vocab = parsed.model.vocab.map(([p]) => p);
    expect(vocab).toHaveLength(27);
    expect(vocab.slice(0, 3)).toEqual(['<pad>', '</s>', '<unk>']);
    expect(parsed.model.unk_id).toBe(2);
    expect(vocab[sentinelId(27, 0)]).toBe(sentinel(0));
    expect(vocab[sentinelId(27, 3)]).toBe(sentinel(3));
    const tokenizer = T5Tokenizer.fromJson(json, 'tokenizer.json');
    const [ids] = await tokenizer.encode(['sweet green grape']);
    expect(ids.at(-1)).toBe(1);
    expect(ids).not.toContain(2);
    expect(await tokenizer.decode([ids])).toEqual(['sweet green grape']);
    // A required word absent from the corpus is one piece.
    expect((await tokenizer.encode(['grapefruit']))[0]).toEqual([vocab.indexOf('▁grapefruit'), 1]);
  });

  it('is deterministic', () => {
    expect(buildTokenizerJson(lines, { vocabSize: 27, sentinels: 4, wholeWords: ['grapefruit'] })).toBe(json);
  });
});
