/**
 * The seeded parts of the build. Every source item (a WordNet synset, a fortune cookie) falls on the test
 * or the train side by a hash of (seed, item id) alone, the same side in every task and in the
 * pre-training corpus, so no test item is ever seen in training. Examples are drawn from a side's items in
 * a seeded order until each label has its quota.
 */
import { createRandom, deriveSeed, type Random, shuffleInPlace } from '../../src/data/random.js';
import { WemoeError } from '../../src/errors.js';

export type Split = 'train' | 'test';

/** The seed of the committed build. */
export const DEFAULT_SEED = 20_260_413;

/** Share of the source items held out for the test side. */
export const TEST_FRACTION = 0.2;

/** FNV-1a over the id's UTF-16 code units, mixed with the seed. */
function hashId(seed: number, id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return deriveSeed(seed, h);
}

/** The side of a source item: `wn:<synset key>` or `fortune:<file>:<index>`. */
export function sideOf(seed: number, itemId: string): Split {
  return hashId(seed, itemId) / 4294967296 < TEST_FRACTION ? 'test' : 'train';
}

/** The random stream of one task's split (independent of every other task and split). */
export function taskRandom(seed: number, task: string, split: Split): Random {
  return createRandom(hashId(seed, `${task}/${split}`));
}

/**
 * Examples with exactly `count / labels` of each label (the remainder to the first labels): items in a
 * seeded order, each offered the label most behind its quota first; `make` answers undefined where the item
 * cannot give that label. Each item gives at most one example.
 */
export function fillBalanced<I, R>(
  where: string,
  items: readonly I[],
  labelCount: number,
  count: number,
  random: Random,
  make: (item: I, label: number) => R | undefined,
): R[] {
  const quota = Array.from(
    { length: labelCount },
    (_, l) => Math.floor(count / labelCount) + (l < count % labelCount ? 1 : 0),
  );
  const made = new Array<number>(labelCount).fill(0);
  const rows: R[] = [];
  for (const item of shuffleInPlace([...items], random)) {
    if (rows.length === count) break;
    const order = [...quota.keys()]
      .filter((l) => made[l] < quota[l])
      .sort((a, b) => made[a] / quota[a] - made[b] / quota[b] || a - b);
    for (const label of order) {
      const row = make(item, label);
      if (row === undefined) continue;
      rows.push(row);
      made[label]++;
      break;
    }
  }
  if (rows.length < count)
    throw new WemoeError(
      `${where}: made ${made.join(' / ')} examples per label from ${items.length} items; expected ${quota.join(' / ')}`,
    );
  return shuffleInPlace(rows, random);
}

/** One element picked uniformly. */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(items.length)];
}
