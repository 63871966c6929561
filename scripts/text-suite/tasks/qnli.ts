/**
 * QNLI-like question–answer entailment from WordNet glosses: a question asking what a word means and a
 * sentence that defines a word. Entailment (0): the sentence defines the asked word (its most frequent
 * sense). Not entailment (1): the sentence defines another word — mostly one whose definition mentions the
 * asked word, so the asked word is in the sentence without being defined by it.
 */
import type { Random } from '../../../src/data/random.js';
import { Lexicon, plainLemmasOf } from '../lexicon.js';
import type { Sources } from '../sources.js';
import { fillBalanced, pick, type Split } from '../split.js';
import { words } from '../text.js';
import type { Synset } from '../wordnet.js';
import { capitalize, type TextSuiteRow, withArticle } from './row.js';

interface Defined {
  readonly synset: Synset;
  readonly word: string;
}

const NOUN_QUESTIONS = [
  'What is {a x}?',
  'What does the word {x} mean?',
  'What is meant by {x}?',
  'How is {a x} defined?',
  'What exactly is {a x}?',
];
const NOUN_SENTENCES = [
  '{A x} is {d}.',
  'The word {x} means {d}.',
  'In everyday use, {a x} is {d}.',
  '{X} refers to {d}.',
  'By definition, {a x} is {d}.',
];
const VERB_QUESTIONS = [
  'What does it mean to {x}?',
  'What does the verb {x} mean?',
  'What do people do when they {x}?',
];
const VERB_SENTENCES = ['To {x} is to {d}.', 'The verb {x} means to {d}.', 'When people {x}, they {d}.'];

function fill(template: string, word: string, definition = ''): string {
  return template
    .replace('{A x}', capitalize(withArticle(word)))
    .replace('{a x}', withArticle(word))
    .replace('{X}', capitalize(word))
    .replace('{x}', word)
    .replace('{d}', definition);
}

function sentenceOf(random: Random, item: Defined): string {
  return fill(
    pick(random, item.synset.pos === 'n' ? NOUN_SENTENCES : VERB_SENTENCES),
    item.word,
    item.synset.definition,
  );
}

export function buildQnli(sources: Sources, split: Split, count: number, random: Random): TextSuiteRow[] {
  const lexicon = new Lexicon(sources.wordnet);
  const defined: Defined[] = (['n', 'v'] as const).flatMap((pos) =>
    sources.synsets(split, pos).flatMap((synset) => {
      const word = plainLemmasOf(synset).find((l) => lexicon.firstSense(l, pos)?.key === synset.key);
      const plain =
        /^[a-z][a-z ,'-]*$/.test(synset.definition) &&
        synset.definition.split(' ').length <= 18 &&
        sources.hasUniqueDefinition(synset);
      return word && plain ? [{ synset, word }] : [];
    }),
  );
  const mentioning = new Map<string, Defined[]>();
  for (const item of defined)
    for (const w of new Set(words(item.synset.definition))) {
      const key = `${item.synset.pos}:${w}`;
      mentioning.set(key, [...(mentioning.get(key) ?? []), item]);
    }
  const byPos = {
    n: defined.filter((d) => d.synset.pos === 'n'),
    v: defined.filter((d) => d.synset.pos === 'v'),
  };
  return fillBalanced(`qnli ${split}`, defined, 2, count, random, (item, label) => {
    const pos = item.synset.pos as 'n' | 'v';
    const question = fill(pick(random, pos === 'n' ? NOUN_QUESTIONS : VERB_QUESTIONS), item.word);
    if (label === 0)
      return { question, sentence: sentenceOf(random, item), label, source: `wn:${item.synset.key}` };
    const hard = (mentioning.get(`${pos}:${item.word}`) ?? []).filter((d) => d.word !== item.word);
    const other = hard.length > 0 && random.uniform() < 0.75 ? pick(random, hard) : pick(random, byPos[pos]);
    if (other.word === item.word) return undefined;
    return { question, sentence: sentenceOf(random, other), label, source: `wn:${item.synset.key}` };
  });
}
