/**
 * Pixel helpers for the suite's generator: planar u8 images [C, S, S], resizing of the real-data
 * sources, and the final noise / blur / grayscale steps of the rendered tasks.
 */
import type { Random } from '../../src/data/random.js';

/** Side of every suite image. */
export const SIDE = 32;

/** Centres a [h, w] u8 grayscale image on a black SIDE×SIDE canvas (MNIST 28 → 32 adds 2 px a side). */
export function padToSide(pixels: ArrayLike<number>, height: number, width: number): Uint8Array {
  const out = new Uint8Array(SIDE * SIDE);
  const top = (SIDE - height) >> 1;
  const left = (SIDE - width) >> 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[(top + y) * SIDE + left + x] = pixels[y * width + x];
  }
  return out;
}

/** Bilinear upscaling of a square grayscale image to SIDE×SIDE, pixel centres aligned (align_corners=false). */
export function upscaleBilinear(pixels: ArrayLike<number>, side: number): Uint8Array {
  const out = new Uint8Array(SIDE * SIDE);
  const ratio = side / SIDE;
  for (let y = 0; y < SIDE; y++) {
    const sy = Math.min(Math.max((y + 0.5) * ratio - 0.5, 0), side - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, side - 1);
    const fy = sy - y0;
    for (let x = 0; x < SIDE; x++) {
      const sx = Math.min(Math.max((x + 0.5) * ratio - 0.5, 0), side - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, side - 1);
      const fx = sx - x0;
      const top = pixels[y0 * side + x0] * (1 - fx) + pixels[y0 * side + x1] * fx;
      const bottom = pixels[y1 * side + x0] * (1 - fx) + pixels[y1 * side + x1] * fx;
      out[y * SIDE + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return out;
}

/**
 * RGBA pixels of a (2·SIDE)² canvas → planar float RGB [3, SIDE, SIDE] by 2×2 averaging: rendering at
 * twice the size and averaging gives the soft edges of a downscaled photograph.
 */
export function downsampleRgba(rgba: Uint8ClampedArray): Float32Array {
  const big = SIDE * 2;
  if (rgba.length !== big * big * 4) throw new Error(`downsampleRgba: expected ${big}×${big} RGBA pixels`);
  const out = new Float32Array(3 * SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const p = (2 * y * big + 2 * x) * 4;
      for (let c = 0; c < 3; c++) {
        const sum = rgba[p + c] + rgba[p + 4 + c] + rgba[p + big * 4 + c] + rgba[p + big * 4 + 4 + c];
        out[c * SIDE * SIDE + y * SIDE + x] = sum / 4;
      }
    }
  }
  return out;
}

/** 3×3 blur with centre weight `1 - strength` (strength 0 = unchanged), per plane, edges clamped. */
export function blurPlanes(planes: Float32Array, strength: number): Float32Array {
  const plane = SIDE * SIDE;
  const out = new Float32Array(planes.length);
  for (let base = 0; base < planes.length; base += plane) {
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = Math.min(Math.max(y + dy, 0), SIDE - 1);
            const xx = Math.min(Math.max(x + dx, 0), SIDE - 1);
            sum += planes[base + yy * SIDE + xx];
          }
        }
        const centre = planes[base + y * SIDE + x];
        out[base + y * SIDE + x] = (1 - strength) * centre + (strength * (sum - centre)) / 8;
      }
    }
  }
  return out;
}

/** blurPlanes with a strength in [0.15, max), with probability `probability`; else the planes as they are. */
export function maybeBlur(
  planes: Float32Array,
  random: Random,
  probability: number,
  max: number,
): Float32Array {
  return random.uniform() < probability ? blurPlanes(planes, random.between(0.15, max)) : planes;
}

/** Rec. 601 luma of planar RGB [3, S, S] → [1, S, S]. */
export function toGray(planes: Float32Array): Float32Array {
  const plane = SIDE * SIDE;
  const out = new Float32Array(plane);
  for (let i = 0; i < plane; i++) {
    out[i] = 0.299 * planes[i] + 0.587 * planes[plane + i] + 0.114 * planes[2 * plane + i];
  }
  return out;
}

/** Adds N(0, sigma²) noise (same draw to all channels when `shared`, as sensor luminance noise) and rounds to u8. */
export function quantizeWithNoise(
  planes: Float32Array,
  sigma: number,
  random: Random,
  shared = false,
): Uint8Array {
  const plane = SIDE * SIDE;
  const out = new Uint8Array(planes.length);
  const sharedNoise = shared
    ? Float32Array.from({ length: plane }, () => sigma * random.normal())
    : undefined;
  for (let i = 0; i < planes.length; i++) {
    const noise = sharedNoise ? sharedNoise[i % plane] : sigma * random.normal();
    out[i] = Math.min(255, Math.max(0, Math.round(planes[i] + noise)));
  }
  return out;
}
