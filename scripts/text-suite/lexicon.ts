/**
 * Word relations read off WordNet for the substitution tasks, always through a word's most frequent sense:
 * synonyms (other lemmas of that synset), co-hyponyms (lemmas of the other synsets under its first
 * hypernym), hypernyms, hyponyms and antonyms. Only single plain words are offered, so a substitution keeps
 * the sentence's shape.
 */
import type { Random } from '../../src/data/random.js';
import { pick } from './split.js';
import type { Pos, Synset, WordNet } from './wordnet.js';

const WORD = /^[a-z]{3,}$/;

/** The synset's lemmas that are one plain word, but `except`. */
export function plainLemmasOf(synset: Synset | undefined, except = ''): string[] {
  return synset ? synset.lemmas.filter((l) => WORD.test(l) && l !== except) : [];
}

export class Lexicon {
  constructor(readonly wordnet: WordNet) {}

  /** The most frequent sense of a word as one part of speech. */
  firstSense(word: string, pos: Pos): Synset | undefined {
    const key = this.wordnet.senses(word, pos)[0];
    return key === undefined ? undefined : this.wordnet.synsets.get(key);
  }

  /** Parts of speech of which the word is a lemma, nouns first. */
  partsOfSpeech(word: string): Pos[] {
    return (['n', 'v', 'a'] as const).filter((pos) => this.wordnet.senses(word, pos).length > 0);
  }

  /** Lemmas sharing the word's first sense whose own first sense it is too (so "clip" is no synonym of "time"). */
  synonyms(word: string, pos: Pos): string[] {
    const sense = this.firstSense(word, pos);
    return plainLemmasOf(sense, word).filter((l) => this.firstSense(l, pos)?.key === sense?.key);
  }

  /** The word's only part of speech among noun, verb, adjective, if it has one. */
  onlyPartOfSpeech(word: string): Pos | undefined {
    const all = this.partsOfSpeech(word);
    return all.length === 1 ? all[0] : undefined;
  }

  /** Words of the same kind but another meaning ("cat" for "dog"): lemmas of sibling synsets. */
  coHyponyms(word: string, pos: Pos): string[] {
    const sense = this.firstSense(word, pos);
    return sense ? this.siblingsOf(sense).filter((l) => l !== word) : [];
  }

  /** Lemmas of the other synsets under the synset's first hypernym, each lemma in its most frequent sense. */
  siblingsOf(synset: Synset): string[] {
    const own = new Set(synset.lemmas);
    return synset.hypernyms
      .slice(0, 1)
      .flatMap((h) =>
        (this.wordnet.synsets.get(h)?.hyponyms ?? [])
          .filter((k) => k !== synset.key)
          .flatMap((k) =>
            plainLemmasOf(this.wordnet.synsets.get(k), '').filter(
              (l) => !own.has(l) && this.firstSense(l, synset.pos)?.key === k,
            ),
          ),
      );
  }

  /** Lemmas of the word's own antonyms in its first sense (and, for a satellite adjective, its head's). */
  antonyms(word: string, pos: Pos): string[] {
    const sense = this.firstSense(word, pos);
    return sense ? antonymsOf(this.wordnet, sense, word) : [];
  }

  pickOne(random: Random, words: readonly string[]): string | undefined {
    return words.length === 0 ? undefined : pick(random, words);
  }
}

/** The antonym lemmas of a lemma of a synset (for a satellite adjective, those of its head). */
export function antonymsOf(wordnet: WordNet, synset: Synset, lemma: string): string[] {
  const index = synset.lemmas.indexOf(lemma);
  const direct = synset.antonyms
    .filter((a) => a.from === index)
    .map((a) => wordnet.synsets.get(a.to)?.lemmas[a.toLemma] ?? '');
  if (direct.length > 0 || synset.pos !== 'a' || isHeadAdjective(synset))
    return direct.filter((l) => WORD.test(l));
  const head = wordnet.synsets.get(synset.similar[0] ?? '');
  if (!head) return [];
  return head.antonyms
    .map((a) => wordnet.synsets.get(a.to)?.lemmas[a.toLemma] ?? '')
    .filter((l) => WORD.test(l));
}

/** A head adjective has antonyms of its own; a satellite points only to its one head. */
export function isHeadAdjective(synset: Synset): boolean {
  return synset.pos === 'a' && synset.antonyms.length > 0;
}
