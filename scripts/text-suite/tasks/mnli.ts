/**
 * MNLI-like three-way entailment: a WordNet example sentence (premise) and the same sentence with the
 * synset's own word replaced (hypothesis). Entailment (0): a more general word — a hypernym for nouns and
 * verbs ("dog" → "animal"), a synonym or the head of a satellite for adjectives. Neutral (1): a more
 * specific word — a hyponym ("animal" → "dog") — or, for adjectives, an unrelated adjective. Contradiction
 * (2): an antonym ("hot" → "cold").
 */
import type { Random } from '../../../src/data/random.js';
import { antonymsOf, isHeadAdjective, plainLemmasOf } from '../lexicon.js';
import type { Sources } from '../sources.js';
import { fillBalanced, pick, type Split } from '../split.js';
import { substitute, tokenize } from '../text.js';
import type { Synset, WordNet } from '../wordnet.js';
import type { TextSuiteRow } from './row.js';

function lemmasOfAny(wordnet: WordNet, keys: readonly string[]): string[] {
  return keys.flatMap((k) => plainLemmasOf(wordnet.synsets.get(k)));
}

function replacement(
  wordnet: WordNet,
  synset: Synset,
  lemma: string,
  label: number,
  adjectives: readonly Synset[],
  random: Random,
): string | undefined {
  const options = (): string[] => {
    if (label === 2) return antonymsOf(wordnet, synset, lemma);
    if (synset.pos === 'a') {
      if (label === 0)
        return isHeadAdjective(synset)
          ? plainLemmasOf(synset, lemma)
          : lemmasOfAny(wordnet, synset.similar.slice(0, 1));
      const unrelated = pick(random, adjectives);
      const cluster = new Set([
        synset.key,
        ...synset.similar,
        ...unrelated.similar.filter((k) => synset.similar.includes(k)),
      ]);
      return cluster.has(unrelated.key) ? [] : plainLemmasOf(unrelated);
    }
    return lemmasOfAny(wordnet, label === 0 ? synset.hypernyms : synset.hyponyms);
  };
  const words = options().filter((w) => w !== lemma);
  return words.length === 0 ? undefined : pick(random, words);
}

export function buildMnli(sources: Sources, split: Split, count: number, random: Random): TextSuiteRow[] {
  const wordnet = sources.wordnet;
  const adjectives = sources.synsets(split, 'a').filter((s) => plainLemmasOf(s).length > 0);
  const items = sources.examples(split, 4).flatMap((example) => {
    const synset = example.synset!;
    if (synset.pos === 'r' || !/^[a-z][a-z' ,-]*$/i.test(example.text)) return [];
    const tokens = tokenize(example.text);
    const at = tokens.findIndex((t) => synset.lemmas.includes(t.word) && /^[a-z]{3,}$/.test(t.word));
    return at < 0 ? [] : [{ example, synset, tokens, at }];
  });
  return fillBalanced(`mnli ${split}`, items, 3, count, random, ({ example, synset, tokens, at }, label) => {
    const word = replacement(wordnet, synset, tokens[at].word, label, adjectives, random);
    if (word === undefined) return undefined;
    const hypothesis = substitute(tokens, new Map([[at, word]]));
    return { premise: example.text, hypothesis, label, source: example.item };
  });
}
