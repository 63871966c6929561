/**
 * STS-B-like graded similarity: a WordNet definition and a copy in which k of its n content words are
 * replaced by unrelated content words (drawn from the split's other definitions) and some of the others by
 * synonyms, which keep the meaning. The score is 5·(n − k)/n with one decimal: 5.0 for a paraphrase, 0.0
 * when no content word of the original is left. k is uniform in 0..n, so scores spread over 0–5.
 */
import { type Random, shuffleInPlace } from '../../../src/data/random.js';
import { WemoeError } from '../../../src/errors.js';
import { Lexicon } from '../lexicon.js';
import type { Sources } from '../sources.js';
import { pick, type Split } from '../split.js';
import { isPlainWord, STOP_WORDS, substitute, tokenize } from '../text.js';
import type { TextSuiteRow } from './row.js';

const PLAIN = /^[a-z][a-z ,'-]*$/;

export function buildStsb(sources: Sources, split: Split, count: number, random: Random): TextSuiteRow[] {
  const lexicon = new Lexicon(sources.wordnet);
  const items = sources.synsets(split).filter((s) => {
    const n = s.definition.split(' ').length;
    return PLAIN.test(s.definition) && n >= 6 && n <= 20 && sources.hasUniqueDefinition(s);
  });
  const content = (word: string) => isPlainWord(word) && !STOP_WORDS.has(word);
  const vocabulary = [...new Set(items.flatMap((s) => s.definition.split(/[ ,]+/).filter(content)))].sort();
  const rows: TextSuiteRow[] = [];
  for (const synset of shuffleInPlace([...items], random)) {
    if (rows.length === count) break;
    const tokens = tokenize(synset.definition);
    const slots = tokens.flatMap((t, i) => (content(t.word) ? [i] : []));
    if (slots.length < 3) continue;
    const replaced = shuffleInPlace([...slots], random).slice(0, random.int(slots.length + 1));
    const changed = new Set(replaced);
    const changes = new Map<number, string>();
    for (const i of slots) {
      if (changed.has(i)) changes.set(i, pick(random, vocabulary));
      else if (random.uniform() < 0.3) {
        const pos = lexicon.onlyPartOfSpeech(tokens[i].word);
        const synonym = pos && lexicon.pickOne(random, lexicon.synonyms(tokens[i].word, pos));
        if (synonym) changes.set(i, synonym);
      }
    }
    const label = Math.round((50 * (slots.length - replaced.length)) / slots.length) / 10;
    rows.push({
      sentence1: synset.definition,
      sentence2: substitute(tokens, changes),
      label,
      source: `wn:${synset.key}`,
    });
  }
  if (rows.length < count)
    throw new WemoeError(`stsb ${split}: made ${rows.length} examples; expected ${count}`);
  return rows;
}
