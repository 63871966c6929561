/**
 * Resizing exactly as PIL's `Image.resize` does for 8-bit RGB (libImaging/Resample.c): a separable
 * convolution, horizontal pass then vertical pass, each rounded and clipped to uint8. When shrinking,
 * the kernel's support is stretched by the scale factor (antialiasing). Coefficients are normalised
 * per output pixel, then turned into 22-bit fixed point as PIL does, so results match it bit for bit.
 */

import { WemoeError } from '../../errors.js';
import type { RgbImage } from './rgb-image.js';

export type ResampleFilter = 'box' | 'bilinear' | 'bicubic';

interface Kernel {
  readonly support: number;
  weight(x: number): number;
}

const KERNELS: Readonly<Record<ResampleFilter, Kernel>> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  bicubic: { support: 2, weight: bicubic },
};

/** Keys' cubic convolution with a = −0.5, PIL's BICUBIC. */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** PIL's PRECISION_BITS = 32 − 8 − 2: fixed-point coefficients with room for overshoot. */
const PRECISION_BITS = 22;

/** For each output pixel: the first input index and its fixed-point weights. */
interface Taps {
  readonly first: Int32Array;
  readonly weights: Int32Array[];
}

export function computeTaps(inSize: number, outSize: number, filter: ResampleFilter): Taps {
  const kernel = KERNELS[filter];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const inverseScale = 1 / filterScale;
  const first = new Int32Array(outSize);
  const weights: Int32Array[] = [];
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    const raw = new Float64Array(hi - lo);
    let total = 0;
    for (let i = 0; i < raw.length; i++) {
      raw[i] = kernel.weight((i + lo - center + 0.5) * inverseScale);
      total += raw[i];
    }
    first[out] = lo;
    weights.push(Int32Array.from(raw, (w) => toFixedPoint(total === 0 ? w : w / total)));
  }
  return { first, weights };
}

function toFixedPoint(weight: number): number {
  return Math.trunc(weight * (1 << PRECISION_BITS) + (weight < 0 ? -0.5 : 0.5));
}

/** Rounds away the fixed point and clips to 0..255 (the sum started at one half). */
function clip8(sum: number): number {
  const value = sum >> PRECISION_BITS;
  return Math.min(Math.max(value, 0), 255);
}

export function resizeImage(
  image: RgbImage,
  width: number,
  height: number,
  filter: ResampleFilter,
): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new WemoeError(`resize: target size ${width}x${height} must be positive integers`);
  }
  let current = image;
  if (width !== current.width) current = resizeAxis(current, width, 'x', filter);
  if (height !== current.height) current = resizeAxis(current, height, 'y', filter);
  return current === image ? { ...image, data: image.data.slice() } : current;
}

/** One 1-D pass along x (rows) or y (columns). */
function resizeAxis(image: RgbImage, outSize: number, axis: 'x' | 'y', filter: ResampleFilter): RgbImage {
  const horizontal = axis === 'x';
  const inSize = horizontal ? image.width : image.height;
  const width = horizontal ? outSize : image.width;
  const height = horizontal ? image.height : outSize;
  const { first, weights } = computeTaps(inSize, outSize, filter);
  // Distance in bytes between neighbouring samples along the axis, and between lines across it.
  const step = horizontal ? 3 : image.width * 3;
  const lineIn = horizontal ? image.width * 3 : 3;
  const lineOut = horizontal ? width * 3 : 3;
  const outStep = horizontal ? 3 : width * 3;
  const lines = horizontal ? image.height : image.width;
  const src = image.data;
  const dst = new Uint8Array(width * height * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let line = 0; line < lines; line++) {
    for (let out = 0; out < outSize; out++) {
      const k = weights[out];
      let at = line * lineIn + first[out] * step;
      let r = half;
      let g = half;
      let b = half;
      for (let i = 0; i < k.length; i++, at += step) {
        r += src[at] * k[i];
        g += src[at + 1] * k[i];
        b += src[at + 2] * k[i];
      }
      const to = line * lineOut + out * outStep;
      dst[to] = clip8(r);
      dst[to + 1] = clip8(g);
      dst[to + 2] = clip8(b);
    }
  }
  return { width, height, data: dst };
}
