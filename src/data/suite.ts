/**
 * Loader of the built-in benchmark suite's data: eight 32×32 classification tasks. Test splits ship in
 * the package (assets/suite/<task>/test.safetensors); train splits are rebuilt by
 * `npm run build-suite-data` into .cache/suite/<task>/train.safetensors. Each file holds `images` U8
 * [N, C, 32, 32] (C = 1 or 3), `labels` U8 [N] and `__metadata__.classes` (a JSON list of names).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WemoeError } from '../errors.js';
import { openSafetensors } from '../io/safetensors-reader.js';
import type { Tensor } from '../tensor/tensor.js';

export type SuiteSplit = 'train' | 'test';

export interface SuiteData {
  task: string;
  split: SuiteSplit;
  /** [count, 3, 32, 32] u8, grayscale tasks replicated to 3 channels. */
  images: Uint8Array;
  /** [count], each in [0, classes.length). */
  labels: Int32Array;
  classes: string[];
  count: number;
}

export interface SuiteLoadOptions {
  /** Keep only the first `limit` images (files interleave the classes, so a prefix stays balanced). */
  limit?: number;
}

export const SUITE_IMAGE_SIDE = 32;

const TASKS = [
  'mnist',
  'fashion',
  'uci-digits',
  'letters',
  'house-digits',
  'greek',
  'kana',
  'shapes',
] as const;

/** The eight task ids, in the suite's fixed order. */
export function suiteTasks(): string[] {
  return [...TASKS];
}

/** The package root: the nearest folder above this module whose package.json is named "wemoe". */
function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'wemoe'
    )
      return dir;
    if (dirname(dir) === dir) throw new WemoeError(`${start}: no wemoe package.json above this module`);
  }
}

/** The package's assets folder (works from src/ under tsx and from dist/ after a build). */
export function assetsDir(): string {
  return join(packageRoot(), 'assets');
}

/** Where the train splits are cached (git-ignored). */
export function suiteCacheDir(): string {
  return join(packageRoot(), '.cache', 'suite');
}

export function suiteSplitPath(task: string, split: SuiteSplit): string {
  return split === 'test'
    ? join(assetsDir(), 'suite', task, 'test.safetensors')
    : join(suiteCacheDir(), task, 'train.safetensors');
}

export function loadSuiteSplit(task: string, split: SuiteSplit, options: SuiteLoadOptions = {}): SuiteData {
  if (!(TASKS as readonly string[]).includes(task)) {
    throw new WemoeError(`suite task ${JSON.stringify(task)}: unknown; expected one of ${TASKS.join(', ')}`);
  }
  if (split !== 'train' && split !== 'test')
    throw new WemoeError(`suite split ${JSON.stringify(split)}: expected "train" or "test"`);
  const { limit } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new WemoeError(`loadSuiteSplit limit: expected a positive integer, got ${limit}`);
  }
  return readSuiteFile(suiteSplitPath(task, split), task, split, options);
}

/** Reads and validates one suite file (what loadSuiteSplit does once it has the path). */
export function readSuiteFile(
  path: string,
  task: string,
  split: SuiteSplit,
  options: SuiteLoadOptions = {},
): SuiteData {
  const { limit } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new WemoeError(`loadSuiteSplit limit: expected a positive integer, got ${limit}`);
  }
  if (!existsSync(path)) {
    const fix =
      split === 'train'
        ? 'run `npm run build-suite-data` to build the train splits'
        : 'the package is incomplete';
    throw new WemoeError(`${path}: missing; ${fix}`);
  }
  const file = openSafetensors(path);
  try {
    const classes = parseClasses(path, file.metadata.classes);
    if (file.metadata.task !== task) {
      throw new WemoeError(
        `${path}: __metadata__.task is ${JSON.stringify(file.metadata.task)}, expected ${JSON.stringify(task)}`,
      );
    }
    const images = file.read('images');
    const labels = file.read('labels');
    const count = checkShapes(path, images, labels);
    const kept = Math.min(count, limit ?? count);
    return {
      task,
      split,
      images: toRgb(images, kept),
      labels: toLabels(path, labels.data as Uint8Array, kept, classes.length),
      classes,
      count: kept,
    };
  } finally {
    file.close();
  }
}

function parseClasses(path: string, text: string | undefined): string[] {
  let classes: unknown;
  try {
    classes = JSON.parse(text ?? '');
  } catch {
    classes = undefined;
  }
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string')) {
    throw new WemoeError(`${path}: __metadata__.classes: expected a JSON list of class names`);
  }
  return classes;
}

function checkShapes(path: string, images: Tensor, labels: Tensor): number {
  const [n, c, h, w] = images.shape;
  const side = SUITE_IMAGE_SIDE;
  if (
    images.dtype !== 'U8' ||
    images.shape.length !== 4 ||
    (c !== 1 && c !== 3) ||
    h !== side ||
    w !== side
  ) {
    throw new WemoeError(
      `${path}: tensor "images": expected U8 [N, 1 or 3, ${side}, ${side}], got ${images.dtype} [${images.shape.join(', ')}]`,
    );
  }
  if (labels.dtype !== 'U8' || labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new WemoeError(
      `${path}: tensor "labels": expected U8 [${n}], got ${labels.dtype} [${labels.shape.join(', ')}]`,
    );
  }
  return n;
}

/** The first `count` images as [count, 3, 32, 32], grayscale planes copied to R, G and B. */
function toRgb(images: Tensor, count: number): Uint8Array {
  const channels = images.shape[1];
  const plane = SUITE_IMAGE_SIDE * SUITE_IMAGE_SIDE;
  const data = images.data as Uint8Array;
  if (channels === 3) return data.slice(0, count * 3 * plane);
  const out = new Uint8Array(count * 3 * plane);
  for (let i = 0; i < count; i++) {
    const gray = data.subarray(i * plane, (i + 1) * plane);
    for (let c = 0; c < 3; c++) out.set(gray, (i * 3 + c) * plane);
  }
  return out;
}

function toLabels(path: string, labels: Uint8Array, count: number, classCount: number): Int32Array {
  const out = Int32Array.from(labels.subarray(0, count));
  const bad = out.findIndex((label) => label >= classCount);
  if (bad >= 0)
    throw new WemoeError(
      `${path}: tensor "labels": label ${out[bad]} at ${bad} is not below ${classCount} classes`,
    );
  return out;
}
