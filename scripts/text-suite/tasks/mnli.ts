/**
 * MNLI-like three-way entailment: a WordNet example sentence (premise) and the same sentence with the
 * synset's own word replaced (hypothesis).
 *   - Entailment (0): a more general word — a hypernym for nouns and verbs ("dog" → "animal"); for
 *     adjectives a synonym, or the head of a satellite ("scorching" → "hot").
 *   - Neutral (1): a more specific word — a hyponym ("animal" → "dog") — or, for adjectives, an unrelated
 *     adjective ("a sordid campaign" → "a metallic campaign").
 *   - Contradiction (2): an antonym ("hot" → "cold") or, for nouns and verbs, a co-hyponym ("a dog barked"
 *     → "a cat barked"), as SNLI's annotators label a different entity in the same scene.
 * Each part of speech has the three labels in equal numbers, so the edited word's class tells nothing.
 */
import { type Random, shuffleInPlace } from '../../../src/data/random.js';
import { antonymsOf, isHeadAdjective, Lexicon, plainLemmasOf } from '../lexicon.js';
import type { SourcedSentence, Sources } from '../sources.js';
import { fillBalanced, pick, type Split } from '../split.js';
import { substitute, type Token, tokenize } from '../text.js';
import type { Pos, Synset } from '../wordnet.js';
import type { TextSuiteRow } from './row.js';

/** Share of each part of speech among the examples. */
const POS_SHARE: readonly [Pos, number][] = [
  ['n', 0.45],
  ['v', 0.25],
  ['a', 0.3],
];

interface Premise {
  readonly example: SourcedSentence;
  readonly synset: Synset;
  readonly tokens: Token[];
  /** Index of the token that is one of the synset's lemmas. */
  readonly at: number;
}

function lemmasOfAny(lexicon: Lexicon, keys: readonly string[]): string[] {
  return keys.flatMap((k) => plainLemmasOf(lexicon.wordnet.synsets.get(k)));
}

function candidates(
  lexicon: Lexicon,
  premise: Premise,
  label: number,
  adjectives: readonly Synset[],
  random: Random,
): string[] {
  const { synset } = premise;
  const lemma = premise.tokens[premise.at].word;
  const antonyms = antonymsOf(lexicon.wordnet, synset, lemma);
  if (synset.pos === 'a') {
    if (label === 2) return antonyms;
    if (label === 0)
      return isHeadAdjective(synset)
        ? lexicon.synonyms(lemma, 'a')
        : lemmasOfAny(lexicon, synset.similar.slice(0, 1));
    const unrelated = pick(random, adjectives);
    const related = new Set([synset.key, ...synset.similar]);
    return related.has(unrelated.key) || unrelated.similar.some((k) => related.has(k))
      ? []
      : plainLemmasOf(unrelated);
  }
  if (label === 2) return [...antonyms, ...lexicon.siblingsOf(synset)];
  return lemmasOfAny(lexicon, label === 0 ? synset.hypernyms : synset.hyponyms);
}

function premisesOf(sources: Sources, split: Split): Premise[] {
  return sources.examples(split, 4).flatMap((example) => {
    const synset = example.synset!;
    if (synset.pos === 'r' || !/^[a-z][a-z' ,-]*$/i.test(example.text)) return [];
    const tokens = tokenize(example.text);
    const at = tokens.findIndex((t) => synset.lemmas.includes(t.word) && /^[a-z]{3,}$/.test(t.word));
    return at < 0 ? [] : [{ example, synset, tokens, at }];
  });
}

export function buildMnli(sources: Sources, split: Split, count: number, random: Random): TextSuiteRow[] {
  const lexicon = new Lexicon(sources.wordnet);
  const adjectives = sources.synsets(split, 'a').filter((s) => plainLemmasOf(s).length > 0);
  const premises = premisesOf(sources, split);
  let left = count;
  const rows = POS_SHARE.flatMap(([pos, share], i) => {
    const part = i === POS_SHARE.length - 1 ? left : Math.round((count * share) / 3) * 3;
    left -= part;
    const items = premises.filter((p) => p.synset.pos === pos);
    return fillBalanced(`mnli ${split} (${pos})`, items, 3, part, random, (premise, label) => {
      const lemma = premise.tokens[premise.at].word;
      const words = candidates(lexicon, premise, label, adjectives, random).filter((w) => w !== lemma);
      if (words.length === 0) return undefined;
      const hypothesis = substitute(premise.tokens, new Map([[premise.at, pick(random, words)]]));
      return { premise: premise.example.text, hypothesis, label, source: premise.example.item };
    });
  });
  return shuffleInPlace(rows, random);
}
