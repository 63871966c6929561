/** Word-level helpers shared by the task builders: tokens with their punctuation kept aside, stop words. */

/** A whitespace token split into its word and the punctuation around it ("(dog)," → "(", "dog", "),"). */
export interface Token {
  readonly before: string;
  readonly word: string;
  readonly after: string;
}

export function tokenize(sentence: string): Token[] {
  return sentence.split(' ').map((raw) => {
    const m = /^([^A-Za-z0-9]*)(.*?)([^A-Za-z0-9]*)$/.exec(raw)!;
    return { before: m[1], word: m[2], after: m[3] };
  });
}

export function detokenize(tokens: readonly Token[]): string {
  return tokens.map((t) => t.before + t.word + t.after).join(' ');
}

/** The token's word replaced, keeping a capital first letter where the original had one. */
export function replaceWord(token: Token, word: string): Token {
  const capital = /^[A-Z][a-z]/.test(token.word) || /^[A-Z]$/.test(token.word);
  return { ...token, word: capital ? word[0].toUpperCase() + word.slice(1) : word };
}

/**
 * The tokens with the words at the given positions replaced (capitals kept), and an article right before
 * a replaced word made to fit it ("a apple" → "an apple").
 */
export function substitute(tokens: readonly Token[], changes: ReadonlyMap<number, string>): string {
  const out = tokens.map((t, i) => (changes.has(i) ? replaceWord(t, changes.get(i)!) : t));
  for (const i of changes.keys()) {
    const article = out[i - 1];
    if (!article || !/^(a|an|A|An)$/.test(article.word) || article.after !== '') continue;
    const an = /^[aeiou]/i.test(out[i].word);
    const word = an ? 'an' : 'a';
    out[i - 1] = { ...article, word: /^A/.test(article.word) ? capitalizeWord(word) : word };
  }
  return detokenize(out);
}

function capitalizeWord(word: string): string {
  return word[0].toUpperCase() + word.slice(1);
}

/** Lower-case words of a text, apostrophes kept ("don't"). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? [];
}

/** Function words: never substituted, never counted as content. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but if then so of to in on at by for with from as into onto over under about than ' +
    'is are was were be been being am do does did have has had will would can could shall should may might ' +
    'must not no nor i me my we our you your he him his she her it its they them their this that these those ' +
    'who whom whose which what when where why how all any some each every one there here up down out off ' +
    'very too also just only more most much many such own same other another s t don'
  ).split(' '),
);

/** A single lower-case word of letters (a lemma the builders may substitute). */
export function isPlainWord(word: string): boolean {
  return /^[a-z]{3,}$/.test(word);
}
