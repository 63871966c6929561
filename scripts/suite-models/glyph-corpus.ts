/**
 * The labelled corpus of the suite encoder's supervised pre-training: our stand-in for the broad data a
 * real CLIP has seen. 936 glyph classes of fifteen scripts and symbol blocks (Cyrillic, Latin lower case,
 * Armenian, Hebrew, Georgian, Devanagari, Bengali, Tamil, Thai, Ethiopic, Arabic, katakana, kanji, Hangul,
 * arrows and maths), drawn in generic random styles (flat, gradient or textured backgrounds, any colours,
 * clutter lines, outlines, blur, grayscale). None of the suite's classes is among them (no upper-case
 * Latin, digits, Greek or hiragana), and no test font of the suite is used; the corpus is rendered in
 * memory at build time from (class, index) through seeded generators.
 */
import { createRandom, deriveSeed, type Random } from '../../src/data/random.js';
import { fontAlias } from '../suite/fonts.js';
import {
  contrasting,
  drawGlyphs,
  drawRandomLines,
  fillLinearGradient,
  fillSolid,
  fillTexture,
  hsl,
  type Ink,
  jitter,
  Surface,
} from '../suite/paint.js';
import { maybeBlur, quantizeWithNoise, SIDE, toGray } from '../suite/raster.js';

const NOTO = '/usr/share/fonts/truetype/noto/';
const NOTO_CJK = '/usr/share/fonts/opentype/noto/';
const DEJAVU = '/usr/share/fonts/truetype/dejavu/';
const IMAGE = 3 * SIDE * SIDE;

/** Noto Sans and Serif, regular and bold, of one script. */
const notoFamily = (script: string) =>
  ['Sans', 'Serif'].flatMap((kind) =>
    ['Regular', 'Bold'].map((weight) => `${NOTO}Noto${kind}${script}-${weight}.ttf`),
  );

/** Code points a, a + step, … ≤ b as strings. */
function codePoints(a: number, b: number, step = 1): string[] {
  return Array.from({ length: Math.floor((b - a) / step) + 1 }, (_, i) => String.fromCodePoint(a + i * step));
}

const without = (chars: string[], skipped: readonly number[]) =>
  chars.filter((c) => !skipped.includes(c.codePointAt(0)!));

const WESTERN = [
  ...notoFamily(''),
  `${DEJAVU}DejaVuSans.ttf`,
  `${DEJAVU}DejaVuSerif.ttf`,
  `${DEJAVU}DejaVuSans-Bold.ttf`,
];
const CJK = ['Sans', 'Serif'].flatMap((kind) =>
  ['Regular', 'Bold'].map((weight) => `${NOTO_CJK}Noto${kind}CJK-${weight}.ttc`),
);
const SMALL_KATAKANA = 'ァィゥェォッャュョヮヵヶ';
const TAMIL = 'அஆஇஈஉஊஎஏஐஒஓகஙசஞடணதநபமயரலவழளறன';

/** Per block: its characters and the font files that draw them. */
const BLOCKS: readonly { chars: string[]; fonts: string[] }[] = [
  { chars: codePoints(0x410, 0x44f), fonts: WESTERN }, // Cyrillic
  { chars: codePoints(0x61, 0x7a), fonts: WESTERN }, // Latin lower case
  { chars: codePoints(0x531, 0x556), fonts: notoFamily('Armenian') },
  { chars: codePoints(0x5d0, 0x5ea), fonts: notoFamily('Hebrew') },
  { chars: codePoints(0x10d0, 0x10f0), fonts: notoFamily('Georgian') },
  { chars: codePoints(0x905, 0x939), fonts: notoFamily('Devanagari') },
  {
    chars: without(codePoints(0x985, 0x9b9), [0x98d, 0x98e, 0x991, 0x992, 0x9a9, 0x9b1, 0x9b3, 0x9b4, 0x9b5]),
    fonts: notoFamily('Bengali'),
  },
  { chars: [...TAMIL], fonts: notoFamily('Tamil') },
  { chars: codePoints(0xe01, 0xe2e), fonts: notoFamily('Thai') },
  { chars: codePoints(0x1200, 0x1357, 8), fonts: notoFamily('Ethiopic') },
  {
    chars: without(codePoints(0x627, 0x64a), [0x63b, 0x63c, 0x63d, 0x63e, 0x63f, 0x640]),
    fonts: ['Sans', 'Naskh'].flatMap((kind) =>
      ['Regular', 'Bold'].map((weight) => `${NOTO}Noto${kind}Arabic-${weight}.ttf`),
    ),
  },
  { chars: codePoints(0x30a2, 0x30f3).filter((c) => !SMALL_KATAKANA.includes(c)), fonts: CJK },
  { chars: codePoints(0x4e00, 0x4e00 + 37 * 219, 37), fonts: CJK }, // 220 kanji, spread over the block
  { chars: codePoints(0xac00, 0xac00 + 97 * 119, 97), fonts: CJK }, // 120 Hangul syllables
  {
    chars: [...codePoints(0x2190, 0x21ff, 3), ...codePoints(0x2200, 0x22ff, 5)], // arrows, maths
    fonts: [`${DEJAVU}DejaVuSans.ttf`, `${DEJAVU}DejaVuSans-Bold.ttf`, `${DEJAVU}DejaVuSerif.ttf`],
  },
];

export interface GlyphCorpus {
  /** u8 [N, 3, 32, 32] */
  readonly images: Uint8Array;
  /** Class of each image; image i has class i mod `classes`. */
  readonly labels: Int32Array;
  readonly classes: number;
  readonly count: number;
}

const anyColour = (r: Random) => hsl(r.uniform(), r.between(0, 0.9), r.between(0.05, 0.95));

/** One image of `text` in a random generic style. */
function renderGlyph(surface: Surface, random: Random, text: string, fonts: readonly string[]): Uint8Array {
  const { ctx } = surface;
  surface.reset();
  const background = anyColour(random);
  const style = random.uniform();
  if (style < 0.3) fillSolid(ctx, background);
  else if (style < 0.65)
    fillLinearGradient(ctx, background, anyColour(random), random.between(0, 6.3)); // angle in radians
  else fillTexture(ctx, random, background, random.between(5, 40), 2 + random.int(5));
  if (random.uniform() < 0.4) {
    drawRandomLines(ctx, random, 1 + random.int(3), () => anyColour(random), random.between(0.1, 0.8));
  }
  const fill = contrasting(random, background, 0.3, anyColour);
  const inkStyle = random.uniform();
  const ink: Ink =
    inkStyle < 0.15
      ? { stroke: fill, strokeWidth: random.between(1.5, 4) }
      : inkStyle < 0.35
        ? { fill, stroke: contrasting(random, fill, 0.3, anyColour), strokeWidth: random.between(1, 5) }
        : { fill, stroke: fill, strokeWidth: random.uniform() < 0.5 ? random.between(0.3, 3) : 0 };
  const font = fonts[random.int(fonts.length)];
  const placement = jitter(random, {
    size: [0.45, 0.9],
    rotationDeg: 15,
    shear: 0.3,
    aspect: 1.3,
    shift: 0.12,
  });
  drawGlyphs(ctx, [text], font, placement, ink);
  let planes = maybeBlur(surface.pixels(), random, 0.3, 0.6);
  if (random.uniform() < 0.3) {
    const gray = toGray(planes);
    planes = new Float32Array(IMAGE);
    for (let c = 0; c < 3; c++) planes.set(gray, c * SIDE * SIDE);
  }
  return quantizeWithNoise(planes, random.between(2, 12), random);
}

/** The character drawn for each class, in label order. */
export function glyphClassTexts(): string[] {
  return BLOCKS.flatMap(({ chars }) => chars);
}

/** `perClass` images of every class, classes interleaved; image i depends only on (seed, i). */
export function renderGlyphCorpus(perClass: number, seed: number): GlyphCorpus {
  const classes = BLOCKS.flatMap(({ chars, fonts }) => {
    const aliasesOfBlock = fonts.map(fontAlias);
    return chars.map((text) => ({ text, fonts: aliasesOfBlock }));
  });
  const k = classes.length;
  const count = k * perClass;
  const surface = new Surface();
  const images = new Uint8Array(count * IMAGE);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const random = createRandom(deriveSeed(seed, i));
    const { text, fonts } = classes[i % k];
    labels[i] = i % k;
    images.set(renderGlyph(surface, random, text, fonts), i * IMAGE);
  }
  return { images, labels, classes: k, count };
}
