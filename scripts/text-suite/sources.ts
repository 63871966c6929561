/**
 * The suite's sources, loaded once and cut into the train and test sides of one seed: WordNet synsets and
 * their example sentences, fortune cookies and their sentences. Loading is lazy, so a task that needs only
 * WordNet builds without the Debian fortunes package.
 */
import { type Fortune, loadFortunes } from './fortunes.js';
import { type Split, sideOf } from './split.js';
import { loadWordNet, type Pos, type Synset, type WordNet } from './wordnet.js';

/** A sentence with the source item it comes from (`wn:<synset>` or `fortune:<file>:<index>`). */
export interface SourcedSentence {
  readonly item: string;
  readonly text: string;
  /** The synset whose gloss holds it (WordNet examples only). */
  readonly synset?: Synset;
}

export class Sources {
  #wordnet?: WordNet;
  #fortunes?: Fortune[];

  constructor(readonly seed: number) {}

  get wordnet(): WordNet {
    this.#wordnet ??= loadWordNet();
    return this.#wordnet;
  }

  get fortunes(): readonly Fortune[] {
    this.#fortunes ??= loadFortunes();
    return this.#fortunes;
  }

  sideOfSynset(synset: Synset): Split {
    return sideOf(this.seed, `wn:${synset.key}`);
  }

  /** The synsets of a side (all parts of speech, or one), in WordNet's file order. */
  synsets(side: Split, pos?: Pos): Synset[] {
    const out: Synset[] = [];
    for (const synset of this.wordnet.synsets.values())
      if ((pos === undefined || synset.pos === pos) && this.sideOfSynset(synset) === side) out.push(synset);
    return out;
  }

  /** The example sentences of a side's synsets with at least `minWords` words. */
  examples(side: Split, minWords = 4): SourcedSentence[] {
    return this.synsets(side).flatMap((synset) =>
      synset.examples
        .filter((text) => text.split(' ').length >= minWords)
        .map((text) => ({ item: `wn:${synset.key}`, text, synset })),
    );
  }

  /** The prose sentences of a side's fortune cookies. */
  fortuneSentences(side: Split): SourcedSentence[] {
    return this.fortunes.flatMap((fortune) => {
      const item = `fortune:${fortune.id}`;
      return sideOf(this.seed, item) === side ? fortune.sentences.map((text) => ({ item, text })) : [];
    });
  }

  synset(key: string): Synset {
    const synset = this.wordnet.synsets.get(key);
    if (!synset) throw new Error(`WordNet synset ${key}: missing`);
    return synset;
  }
}

/** The first single-word lemma of a synset, if any. */
export function singleWordLemma(synset: Synset, except?: string): string | undefined {
  return synset.lemmas.find((l) => /^[a-z]+$/.test(l) && l !== except);
}
