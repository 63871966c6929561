/**
 * What every corruption shares. Corruptions follow Hendrycks & Dietterich, "Benchmarking Neural
 * Network Robustness to Common Corruptions and Perturbations" (ICLR 2019), with the CIFAR-10-C
 * parameter tables (made for 32×32 images), on 8-bit RGB images in HWC layout (RgbImage).
 */

import type { RgbImage } from '../image/rgb-image.js';
import type { Random } from '../random.js';

export interface Corruption {
  readonly name: string;
  /** Severity 1–5 (already validated); `random` is the only source of randomness. */
  apply(image: RgbImage, severity: number, random: Random): RgbImage;
  /** Optional faster path for many images of one size; must equal `apply` image by image. */
  applyBatch?(images: readonly RgbImage[], severity: number, randoms: readonly Random[]): RgbImage[];
}

/** Parameter of a severity 1–5 from its table. */
export function atSeverity<T>(table: readonly T[], severity: number): T {
  return table[severity - 1];
}

/**
 * A value in [0, 1] scale back to uint8 as the reference scripts do: clip to [0, 1], × 255, then
 * numpy's uint8 cast, which truncates.
 */
export function unitToByte(value: number): number {
  return Math.trunc(Math.min(Math.max(value, 0), 1) * 255);
}

/** New image of the same size whose every channel value is `f(value / 255, index)` mapped back to uint8. */
export function mapUnit(image: RgbImage, f: (unit: number, index: number) => number): RgbImage {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = unitToByte(f(image.data[i] / 255, i));
  return { width: image.width, height: image.height, data };
}
