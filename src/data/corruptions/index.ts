/** The corruptions by name, and seeded application to one image or to a uint8 CHW batch. */

import { WemoeError } from '../../errors.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { imageFromChw, imageIntoChw, type RgbImage } from '../image/rgb-image.js';
import { createRandom, deriveSeed } from '../random.js';
import { contrast } from './contrast.js';
import type { Corruption } from './corruption.js';
import { gaussianNoise } from './gaussian-noise.js';
import { impulseNoise } from './impulse-noise.js';
import { jpegCompression } from './jpeg-compression.js';
import { motionBlur } from './motion-blur.js';
import { pixelate } from './pixelate.js';
import { spatter } from './spatter.js';

export type { Corruption } from './corruption.js';

const REGISTRY: ReadonlyMap<string, Corruption> = new Map(
  [motionBlur, impulseNoise, gaussianNoise, pixelate, spatter, contrast, jpegCompression].map((c) => [
    c.name,
    c,
  ]),
);

/** The paper's robustness corruptions (WEMoE, Table 5), in its order. */
export const CORRUPTIONS: readonly string[] = [...REGISTRY.keys()];

const ALIASES: Readonly<Record<string, string>> = { jpeg: 'jpeg_compression' };

export function corruptionByName(name: string): Corruption {
  const corruption = REGISTRY.get(ALIASES[name] ?? name);
  if (corruption === undefined) {
    throw new WemoeError(`unknown corruption '${name}'; known: ${CORRUPTIONS.join(', ')}`);
  }
  return corruption;
}

function checkSeverity(severity: number): void {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new WemoeError(`corruption severity: expected an integer 1–5, got ${severity}`);
  }
}

/** Corrupts one HWC image; the same (name, image, severity, seed) always gives the same bytes. */
export function corrupt(name: string, image: RgbImage, severity: number, seed: number): RgbImage {
  const corruption = corruptionByName(name);
  checkSeverity(severity);
  return corruption.apply(image, severity, createRandom(seed));
}

/** Corrupts every image of a uint8 CHW batch [N, 3, H, W]; image i uses a seed derived from (seed, i). */
export function corruptBatch(name: string, batch: Tensor, severity: number, seed: number): Tensor {
  const corruption = corruptionByName(name);
  checkSeverity(severity);
  const [n, channels, height, width] = batch.shape;
  if (batch.dtype !== 'U8' || batch.shape.length !== 4 || channels !== 3) {
    throw new WemoeError(
      `corruptBatch: batch: expected U8 [N, 3, H, W], got ${batch.dtype} ${shapeString(batch.shape)}`,
    );
  }
  const input = batch.data as Uint8Array;
  const images = Array.from({ length: n }, (_, i) => imageFromChw(input, i, height, width));
  const randoms = images.map((_, i) => createRandom(deriveSeed(seed, i)));
  const corrupted = corruption.applyBatch
    ? corruption.applyBatch(images, severity, randoms)
    : images.map((image, i) => corruption.apply(image, severity, randoms[i]));
  const out = new Uint8Array(input.length);
  for (const [i, image] of corrupted.entries()) imageIntoChw(image, out, i);
  return { dtype: 'U8', shape: [...batch.shape], data: out };
}
