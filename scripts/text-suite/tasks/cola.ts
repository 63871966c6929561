/**
 * CoLA-like acceptability: WordNet example sentences as written (acceptable, 1) or broken by one edit
 * (unacceptable, 0): subject–verb, article or pronoun-case agreement broken ("is" → "are", "a" → "an",
 * "he" → "him"), two neighbouring words swapped, or a word that the sentence needs left out ("a", "to",
 * "of", a form of "be" or "have", ...). Each sentence appears once, intact or broken.
 */
import type { Random } from '../../../src/data/random.js';
import type { Sources } from '../sources.js';
import { fillBalanced, pick, type Split } from '../split.js';
import { detokenize, type Token, tokenize } from '../text.js';
import type { TextSuiteRow } from './row.js';

const AGREEMENT: Record<string, string> = {
  is: 'are',
  are: 'is',
  was: 'were',
  were: 'was',
  has: 'have',
  have: 'has',
  does: 'do',
  do: 'does',
  this: 'these',
  these: 'this',
  a: 'an',
  an: 'a',
  he: 'him',
  she: 'her',
  they: 'them',
  we: 'us',
};
/** Words whose absence leaves the sentence ungrammatical in almost every WordNet example. */
const NEEDED = new Set(['a', 'an', 'to', 'of', 'is', 'are', 'was', 'were', 'has', 'have', 'with', 'from']);

const PLAIN = /^[a-z][a-z' ,-]*$/i;

type Edit = (tokens: Token[], random: Random) => Token[] | undefined;

const agreement: Edit = (tokens, random) => {
  const at = tokens.flatMap((t, i) => (Object.hasOwn(AGREEMENT, t.word) ? [i] : []));
  if (at.length === 0) return undefined;
  const i = pick(random, at);
  return tokens.map((t, j) => (j === i ? { ...t, word: AGREEMENT[t.word] } : t));
};

const order: Edit = (tokens, random) => {
  const at = tokens.flatMap((t, i) =>
    i + 1 < tokens.length && t.word !== tokens[i + 1].word && t.after === '' && tokens[i + 1].before === ''
      ? [i]
      : [],
  );
  if (at.length === 0) return undefined;
  const i = pick(random, at);
  const out = [...tokens];
  [out[i], out[i + 1]] = [
    { ...tokens[i + 1], after: tokens[i].after },
    { ...tokens[i], after: tokens[i + 1].after },
  ];
  return out;
};

const missing: Edit = (tokens, random) => {
  const at = tokens.flatMap((t, i) =>
    NEEDED.has(t.word) && t.before === '' && t.after === '' && i > 0 ? [i] : [],
  );
  if (at.length === 0) return undefined;
  const i = pick(random, at);
  return tokens.filter((_, j) => j !== i);
};

const EDITS: readonly Edit[] = [agreement, order, missing];

export function buildCola(sources: Sources, split: Split, count: number, random: Random): TextSuiteRow[] {
  const items = sources
    .examples(split, 4)
    .filter((s) => PLAIN.test(s.text) && s.text.split(' ').length <= 16);
  return fillBalanced(`cola ${split}`, items, 2, count, random, (item, label) => {
    if (label === 1) return { sentence: item.text, label, source: item.item };
    const tokens = tokenize(item.text);
    const start = random.int(EDITS.length);
    for (let e = 0; e < EDITS.length; e++) {
      const edited = EDITS[(start + e) % EDITS.length](tokens, random);
      if (edited) return { sentence: detokenize(edited), label, source: item.item };
    }
    return undefined;
  });
}
