/**
 * SST-2-like sentiment: fortune-cookie sentences whose AFINN-165 valence (negation-aware sum, see
 * valence.ts) is at least +2 (positive, 1) or at most −2 (negative, 0).
 */
import type { Random } from '../../../src/data/random.js';
import type { Sources } from '../sources.js';
import { fillBalanced, type Split } from '../split.js';
import { valence } from '../valence.js';
import type { TextSuiteRow } from './row.js';

export function buildSst2(sources: Sources, split: Split, count: number, random: Random): TextSuiteRow[] {
  const items = sources.fortuneSentences(split);
  return fillBalanced(`sst2 ${split}`, items, 2, count, random, (item, label) => {
    const score = valence(item.text);
    const fits = label === 1 ? score >= 2 : score <= -2;
    return fits ? { sentence: item.text, label, source: item.item } : undefined;
  });
}
