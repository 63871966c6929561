/**
 * Debian's `fortunes` package (the BSD fortune cookie files in /usr/share/games/fortunes): each cookie with
 * its prose sentences — attributions, verse layout and dialogue markers removed, and only sentences of
 * plain words kept, the raw material of the single-sentence tasks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WemoeError } from '../../src/errors.js';

export const FORTUNES_DIR = '/usr/share/games/fortunes';

/** Files of prose; left out: pictures (art, ascii-art), non-English (translate-me) and jokes on groups of people. */
export const FORTUNE_FILES = [
  'computers',
  'cookie',
  'definitions',
  'education',
  'food',
  'fortunes',
  'goedel',
  'humorists',
  'kids',
  'law',
  'linux',
  'literature',
  'love',
  'magic',
  'medicine',
  'miscellaneous',
  'news',
  'paradoxum',
  'people',
  'pets',
  'platitudes',
  'politics',
  'riddles',
  'science',
  'songs-poems',
  'sports',
  'startrek',
  'tao',
  'wisdom',
  'work',
  'zippy',
] as const;

export interface Fortune {
  /** `file:index`, the unit of the train/test split. */
  readonly id: string;
  readonly sentences: readonly string[];
}

const SENTENCE = /^[A-Z][A-Za-z0-9' ,;:()-]*[a-z][.!?]$/;

/** The cookie's sentences of 5 to 30 plain words (letters, digits, apostrophes, commas, colons, semicolons, hyphens, brackets). */
export function proseSentences(cookie: string): string[] {
  const body = cookie
    .split('\n')
    .filter((line) => !/^\s*(--|-- |\(|\[)/.test(line) && !/^\s{6,}/.test(line))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  return body
    .split(/(?<=[.!?])\s+(?=[A-Z])/)
    .map((s) => s.trim())
    .filter((s) => SENTENCE.test(s) && !/ {2}|--|'{2}/.test(s))
    .filter((s) => {
      const words = s.split(' ').length;
      return words >= 5 && words <= 30;
    });
}

export function loadFortunes(dir: string = FORTUNES_DIR): Fortune[] {
  const fortunes: Fortune[] = [];
  for (const file of FORTUNE_FILES) {
    const path = join(dir, file);
    if (!existsSync(path))
      throw new WemoeError(`${path}: missing; install Debian's fortunes package (apt-get install fortunes)`);
    readFileSync(path, 'latin1')
      .split(/\n%\n/)
      .forEach((cookie, index) => {
        const sentences = proseSentences(cookie);
        if (sentences.length > 0) fortunes.push({ id: `${file}:${index}`, sentences });
      });
  }
  return fortunes;
}
