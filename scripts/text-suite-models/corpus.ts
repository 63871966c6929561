/**
 * The pre-training corpus: the text suite's own plain-text corpus (scripts/text-suite/corpus.ts: WordNet
 * glosses, examples and relations, fortunes, AFINN valence sentences — train side only, so the model
 * never reads a test item), in its fixed order.
 */
import { pretrainingCorpus } from '../text-suite/corpus.js';

export function corpusTexts(): string[] {
  return [...pretrainingCorpus()].map((doc) => doc.text);
}
