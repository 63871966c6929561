/**
 * MRPC-like paraphrase: a fortune-cookie sentence and the same sentence with one or two content words
 * replaced (words of one part of speech only, so the sense is known). Equivalent (1): every replacement
 * is a WordNet synonym of the word's most frequent sense.
 * Not equivalent (0): one replacement is a co-hyponym (a word of the same kind, another meaning: "cat"
 * for "dog") or an antonym. The two sentences come in either order.
 */
import type { Random } from '../../../src/data/random.js';
import { Lexicon } from '../lexicon.js';
import type { Sources } from '../sources.js';
import { fillBalanced, type Split } from '../split.js';
import { isPlainWord, STOP_WORDS, substitute, tokenize } from '../text.js';
import type { TextSuiteRow } from './row.js';

export function buildMrpc(sources: Sources, split: Split, count: number, random: Random): TextSuiteRow[] {
  const lexicon = new Lexicon(sources.wordnet);
  const items = sources.fortuneSentences(split);
  return fillBalanced(`mrpc ${split}`, items, 2, count, random, (item, label) => {
    const tokens = tokenize(item.text);
    const candidates = tokens.flatMap((t, i) => {
      const word = t.word.toLowerCase();
      if (!isPlainWord(word) || STOP_WORDS.has(word)) return [];
      const pos = lexicon.onlyPartOfSpeech(word);
      if (pos === undefined) return [];
      const synonym = lexicon.pickOne(random, lexicon.synonyms(word, pos));
      const other = lexicon.pickOne(random, [
        ...lexicon.coHyponyms(word, pos),
        ...lexicon.antonyms(word, pos),
      ]);
      return [{ i, synonym, other }];
    });
    const withSynonym = candidates.filter((c) => c.synonym !== undefined);
    const changes = new Map<number, string>();
    if (label === 1) {
      if (withSynonym.length === 0) return undefined;
      const first = withSynonym[random.int(withSynonym.length)];
      changes.set(first.i, first.synonym!);
      const second = withSynonym.filter((c) => c.i !== first.i);
      if (second.length > 0 && random.uniform() < 0.4) changes.set(second[0].i, second[0].synonym!);
    } else {
      const withOther = candidates.filter((c) => c.other !== undefined);
      if (withOther.length === 0) return undefined;
      const wrong = withOther[random.int(withOther.length)];
      changes.set(wrong.i, wrong.other!);
      const extra = withSynonym.filter((c) => c.i !== wrong.i);
      if (extra.length > 0 && random.uniform() < 0.4) changes.set(extra[0].i, extra[0].synonym!);
    }
    const edited = substitute(tokens, changes);
    const [sentence1, sentence2] = random.uniform() < 0.5 ? [item.text, edited] : [edited, item.text];
    return { sentence1, sentence2, label, source: item.item };
  });
}
