/**
 * Training batches from the suite's uint8 images [N, 3, 32, 32]: gather, light augmentation (a shift of
 * a few pixels with edge replication), CLIP normalisation.
 */

import { toPixelValues } from '../../src/data/preprocess/clip.js';
import { defaultProcessorConfig } from '../../src/data/preprocess/config.js';
import type { Random } from '../../src/data/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const IMAGE = 3 * PLANE;
const PROCESSOR = defaultProcessorConfig(SIDE);

/** How one image is transformed: shifted by (dx, dy) pixels. */
export interface ImageTransform {
  readonly dx: number;
  readonly dy: number;
}

/** A random shift of at most `maxShift` pixels each way. */
export function randomShift(random: Random, maxShift: number): ImageTransform {
  const shift = () => random.int(2 * maxShift + 1) - maxShift;
  return { dx: shift(), dy: shift() };
}

const clampIndex = (v: number) => (v < 0 ? 0 : v >= SIDE ? SIDE - 1 : v);

/** Writes image `src` (one [3, 32, 32] u8 image) transformed into `out` at `offset`. */
function transformInto(src: Uint8Array, t: ImageTransform, out: Uint8Array, offset: number): void {
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const sx = clampIndex(x - t.dx);
      const sy = clampIndex(y - t.dy);
      for (let c = 0; c < 3; c++) out[offset + c * PLANE + y * SIDE + x] = src[c * PLANE + sy * SIDE + sx];
    }
  }
}

/** pixel_values F32 [B, 3, 32, 32] of images[indices], each with its transform (none when absent). */
export function pixelBatch(
  images: Uint8Array,
  indices: readonly number[],
  transforms?: readonly ImageTransform[],
): Tensor {
  const out = new Uint8Array(indices.length * IMAGE);
  indices.forEach((index, b) => {
    const src = images.subarray(index * IMAGE, (index + 1) * IMAGE);
    if (transforms) transformInto(src, transforms[b], out, b * IMAGE);
    else out.set(src, b * IMAGE);
  });
  return toPixelValues({ dtype: 'U8', shape: [indices.length, 3, SIDE, SIDE], data: out }, PROCESSOR);
}

/** Labels as the I64 [B] tensor the training graphs take. */
export function labelTensor(labels: readonly number[]): Tensor {
  return { dtype: 'I64', shape: [labels.length], data: BigInt64Array.from(labels, (l) => BigInt(l)) };
}
