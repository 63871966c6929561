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

function tally(counts: Map<string, number>, text: string): void {
  counts.set(text, (counts.get(text) ?? 0) + 1);
}

export class Sources {
  #wordnet?: WordNet;
  #fortunes?: Fortune[];
  #counts?: {
    examples: Map<string, number>;
    definitions: Map<string, number>;
    fortunes: Map<string, number>;
  };

  constructor(readonly seed: number) {}

  get wordnet(): WordNet {
    this.#wordnet ??= loadWordNet();
    return this.#wordnet;
  }

  get fortunes(): readonly Fortune[] {
    this.#fortunes ??= loadFortunes();
    return this.#fortunes;
  }

  /**
   * How often each text occurs in its source. A text found twice (an example shared by two synsets, a quote
   * in two cookie files) could fall on both sides, so the tasks use only texts found once.
   */
  #textCounts(withFortunes: boolean) {
    if (!this.#counts) {
      const examples = new Map<string, number>();
      const definitions = new Map<string, number>();
      for (const synset of this.wordnet.synsets.values()) {
        for (const text of new Set(synset.examples)) tally(examples, text);
        tally(definitions, synset.definition);
      }
      this.#counts = { examples, definitions, fortunes: new Map() };
    }
    if (withFortunes && this.#counts.fortunes.size === 0)
      for (const fortune of this.fortunes)
        for (const text of new Set(fortune.sentences)) tally(this.#counts.fortunes, text);
    return this.#counts;
  }

  /** Whether no other synset has the same definition. */
  hasUniqueDefinition(synset: Synset): boolean {
    return this.#textCounts(false).definitions.get(synset.definition) === 1;
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
    const counts = this.#textCounts(false).examples;
    return this.synsets(side).flatMap((synset) =>
      [...new Set(synset.examples)]
        .filter((text) => text.split(' ').length >= minWords && counts.get(text) === 1)
        .map((text) => ({ item: `wn:${synset.key}`, text, synset })),
    );
  }

  /** The prose sentences of a side's fortune cookies. */
  fortuneSentences(side: Split): SourcedSentence[] {
    const counts = this.#textCounts(true).fortunes;
    return this.fortunes.flatMap((fortune) => {
      const item = `fortune:${fortune.id}`;
      if (sideOf(this.seed, item) !== side) return [];
      return [...new Set(fortune.sentences)]
        .filter((text) => counts.get(text) === 1)
        .map((text) => ({ item, text }));
    });
  }
}
