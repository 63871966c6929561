/** Seeded generators shared by the fuzz tests: deterministic, so a failing input is reproducible from its index. */

/** A deterministic xorshift32 generator: r(n) is an integer in [0, n). */
export function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

export function pick<T>(r: (n: number) => number, items: readonly T[]): T {
  return items[r(items.length)];
}

const ALPHABET = [
  'a',
  'b',
  '.',
  '0',
  '_',
  ' ',
  '"',
  '\\',
  '\n',
  '\u001b',
  'é',
  '\u202e',
  '\ud83d\ude00',
  ':',
  '{',
  '[',
];

/** A short string, sometimes with quotes, escapes, controls or astral characters. */
export function randomString(r: (n: number) => number): string {
  return Array.from({ length: r(8) }, () => pick(r, ALPHABET)).join('');
}

/** A number of the kinds that break parsers: negative, fractional, past 2^53, huge. */
export function randomNumber(r: (n: number) => number): number {
  return pick(r, [0, 1, 2, 4, 7, -1, 0.5, 2 ** 53 + 2, 1e300, r(1000), r(1 << 30)]);
}

/** Any JSON value, nested up to `depth` levels. */
export function randomJson(r: (n: number) => number, depth: number): unknown {
  switch (depth > 0 ? r(7) : r(4)) {
    case 0:
      return randomNumber(r);
    case 1:
      return randomString(r);
    case 2:
      return pick(r, [true, false, null]);
    case 3:
      return [];
    case 4:
    case 5:
      return Array.from({ length: r(4) }, () => randomJson(r, depth - 1));
    default:
      return Object.fromEntries(
        Array.from({ length: r(4) }, () => [randomString(r), randomJson(r, depth - 1)]),
      );
  }
}

/** Text edits: insert a token (or up to `maxRepeat` copies of it), delete or duplicate a span, truncate. */
export function mutateText(
  text: string,
  r: (n: number) => number,
  tokens: readonly string[],
  maxRepeat = 3000,
): string {
  const at = r(text.length + 1);
  switch (r(5)) {
    case 0:
      return text.slice(0, at) + pick(r, tokens) + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + r(16));
    case 2: {
      const from = r(text.length + 1);
      return text.slice(0, at) + text.slice(from, from + 1 + r(40)) + text.slice(at);
    }
    case 3:
      return text.slice(0, at);
    default:
      return text.slice(0, at) + pick(r, tokens).repeat(1 + r(maxRepeat)) + text.slice(at);
  }
}
