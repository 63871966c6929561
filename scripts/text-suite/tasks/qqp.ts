/**
 * QQP-like question duplicates: two questions about a word, each phrased by one of several templates of an
 * intent (its meaning, its kinds, an example, a synonym, its opposite, its use, its spelling, its origin,
 * its pronunciation). Duplicate (1): the same intent in two phrasings about the same word (or a synonym).
 * Not duplicate (0): the same word with another intent, or the same intent about another word of the same
 * kind (a co-hyponym). Topics are the most frequent sense of a single-word noun of the split's synsets.
 */
import type { Random } from '../../../src/data/random.js';
import { Lexicon, plainLemmasOf } from '../lexicon.js';
import type { Sources } from '../sources.js';
import { fillBalanced, pick, type Split } from '../split.js';
import type { TextSuiteRow } from './row.js';

const INTENTS: readonly (readonly string[])[] = [
  [
    'What does the word {x} mean?',
    'What is the meaning of {x}?',
    'How would you define {x}?',
    'What is the definition of {x}?',
    'Can someone explain what {x} means?',
  ],
  [
    'What kinds of {x} are there?',
    'What are the different types of {x}?',
    'Which sorts of {x} exist?',
    'How many varieties of {x} are there?',
  ],
  [
    'What is a good example of {x}?',
    'Can you give me an example of {x}?',
    'What would be a typical example of {x}?',
  ],
  [
    'What is another word for {x}?',
    'What is a synonym of {x}?',
    'Which word means the same as {x}?',
    'How else can I say {x}?',
  ],
  ['What is the opposite of {x}?', 'What is an antonym of {x}?', 'Which word means the reverse of {x}?'],
  ['How do I use {x} in a sentence?', 'How is the word {x} used?', 'Can you show {x} used in a sentence?'],
  ['How do you spell {x}?', 'What is the correct spelling of {x}?', 'How is {x} written correctly?'],
  [
    'Where does the word {x} come from?',
    'What is the origin of the word {x}?',
    'What is the etymology of {x}?',
  ],
  ['How do you pronounce {x}?', 'How is {x} pronounced?', 'What is the right way to say {x} out loud?'],
];

function ask(template: string, topic: string): string {
  return template.replace('{x}', topic);
}

/** Two different phrasings of one intent. */
function twoPhrasings(random: Random, intent: readonly string[]): [string, string] {
  const first = random.int(intent.length);
  const second = (first + 1 + random.int(intent.length - 1)) % intent.length;
  return [intent[first], intent[second]];
}

export function buildQqp(sources: Sources, split: Split, count: number, random: Random): TextSuiteRow[] {
  const lexicon = new Lexicon(sources.wordnet);
  const items = sources.synsets(split, 'n').flatMap((synset) => {
    const topic = plainLemmasOf(synset).find((l) => lexicon.firstSense(l, 'n')?.key === synset.key);
    return topic ? [{ synset, topic }] : [];
  });
  return fillBalanced(`qqp ${split}`, items, 2, count, random, ({ synset, topic }, label) => {
    const intent = random.int(INTENTS.length);
    const [t1, t2] = twoPhrasings(random, INTENTS[intent]);
    let q1 = ask(t1, topic);
    let q2: string;
    if (label === 1) {
      const synonym = lexicon.pickOne(random, lexicon.synonyms(topic, 'n'));
      q2 = ask(t2, synonym !== undefined && random.uniform() < 0.3 ? synonym : topic);
    } else if (random.uniform() < 0.5) {
      const other = (intent + 1 + random.int(INTENTS.length - 1)) % INTENTS.length;
      q2 = ask(pick(random, INTENTS[other]), topic);
    } else {
      const sibling = lexicon.pickOne(random, lexicon.coHyponyms(topic, 'n'));
      if (sibling === undefined) return undefined;
      q2 = ask(t2, sibling);
    }
    if (random.uniform() < 0.5) [q1, q2] = [q2, q1];
    return { question1: q1, question2: q2, label, source: `wn:${synset.key}` };
  });
}
