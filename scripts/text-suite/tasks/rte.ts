/**
 * RTE-like two-way entailment by reasoning over stated facts: sentence1 states, in shuffled order, two
 * links of a WordNet hypernym chain (x is a kind of y, y is a kind of z) and one unrelated link (w is a
 * kind of v); sentence2 makes one claim. Entailment (0): a stated link in other words, or the chain's
 * consequence (x is a kind of z). Not entailment (1): a link reversed (z is a kind of x) or crossed with the
 * unrelated one (x is a kind of v, w is a kind of z).
 */
import type { Random } from '../../../src/data/random.js';
import { plainLemmasOf } from '../lexicon.js';
import type { Sources } from '../sources.js';
import { fillBalanced, pick, type Split } from '../split.js';
import type { Synset } from '../wordnet.js';
import { capitalize, type TextSuiteRow, withArticle } from './row.js';

const FACTS = [
  '{A x} is a kind of {y}.',
  'Every {x} is {a y}.',
  '{A x} is a type of {y}.',
  'Each {x} is {a y}.',
  'Any {x} counts as {a y}.',
];

function fact(random: Random, x: string, y: string): string {
  const template = pick(random, FACTS);
  return template
    .replace('{A x}', capitalize(withArticle(x)))
    .replace('{x}', x)
    .replace('{a y}', withArticle(y))
    .replace('{y}', y);
}

interface Chain {
  readonly synset: Synset;
  readonly x: string;
  readonly y: string;
  readonly z: string;
}

function chainOf(sources: Sources, synset: Synset): Chain | undefined {
  const up = sources.wordnet.synsets.get(synset.hypernyms[0] ?? '');
  const top = up && sources.wordnet.synsets.get(up.hypernyms[0] ?? '');
  const [x, y, z] = [synset, up, top].map((s) => (s ? plainLemmasOf(s)[0] : undefined));
  if (!x || !y || !z || new Set([x, y, z]).size < 3) return undefined;
  return { synset, x, y, z };
}

export function buildRte(sources: Sources, split: Split, count: number, random: Random): TextSuiteRow[] {
  const chains = sources.synsets(split, 'n').flatMap((s) => chainOf(sources, s) ?? []);
  return fillBalanced(`rte ${split}`, chains, 2, count, random, (chain, label) => {
    const other = pick(random, chains);
    const { x, y, z } = chain;
    const [w, v] = [other.x, other.y];
    if (new Set([x, y, z, w, v]).size < 5) return undefined;
    const facts = [fact(random, x, y), fact(random, y, z), fact(random, w, v)];
    for (let i = facts.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [facts[i], facts[j]] = [facts[j], facts[i]];
    }
    const claims: [string, string][] =
      label === 0
        ? [
            [x, z],
            [x, z],
            [x, y],
            [y, z],
            [w, v],
          ]
        : [
            [z, x],
            [y, x],
            [x, v],
            [w, z],
            [z, y],
          ];
    const [a, b] = pick(random, claims);
    return {
      sentence1: facts.join(' '),
      sentence2: fact(random, a, b),
      label,
      source: `wn:${chain.synset.key}`,
    };
  });
}
