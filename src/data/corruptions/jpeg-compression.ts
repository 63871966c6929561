/**
 * JPEG compression through a real encoder and decoder (jpeg-js) at the table's quality. jpeg-js uses
 * the IJG quality scaling as PIL's libjpeg does, but no chroma subsampling (PIL defaults to 4:2:0).
 *
 * jpeg-js rebuilds its encoder tables on every call (~40 ms), whatever the image size. Without
 * subsampling every 8×8 block is coded on its own, so images whose sides are multiples of 8 are
 * stacked into one tall mosaic and coded in a single call: bit-identical to one call per image.
 */

import jpeg from 'jpeg-js';
import type { RgbImage } from '../image/rgb-image.js';
import { atSeverity, type Corruption } from './corruption.js';

const QUALITY = [80, 65, 58, 50, 40];
/** JPEG's largest side. */
const MAX_SIDE = 65535;

export const jpegCompression: Corruption = {
  name: 'jpeg_compression',
  apply(image, severity) {
    return roundTrip([image], atSeverity(QUALITY, severity))[0];
  },
  applyBatch(images, severity) {
    const quality = atSeverity(QUALITY, severity);
    const { width, height } = images[0];
    const stackable = width % 8 === 0 && height % 8 === 0;
    if (!stackable) return images.map((image) => roundTrip([image], quality)[0]);
    const perMosaic = Math.max(1, Math.floor(MAX_SIDE / height));
    const out: RgbImage[] = [];
    for (let start = 0; start < images.length; start += perMosaic) {
      out.push(...roundTrip(images.slice(start, start + perMosaic), quality));
    }
    return out;
  },
};

/** Encodes the images stacked vertically (all the same size), decodes, and splits them again. */
function roundTrip(images: readonly RgbImage[], quality: number): RgbImage[] {
  const { width, height } = images[0];
  const pixels = width * height;
  const rgba = new Uint8Array(images.length * pixels * 4);
  images.forEach((image, i) => {
    for (let p = 0; p < pixels; p++) {
      const to = (i * pixels + p) * 4;
      rgba.set(image.data.subarray(p * 3, p * 3 + 3), to);
      rgba[to + 3] = 255;
    }
  });
  const encoded = jpeg.encode({ width, height: height * images.length, data: rgba }, quality);
  const decoded = jpeg.decode(encoded.data, {
    useTArray: true,
    formatAsRGBA: false,
    maxMemoryUsageInMB: 4096,
  });
  return images.map((_, i) => ({
    width,
    height,
    data: decoded.data.slice(i * pixels * 3, (i + 1) * pixels * 3),
  }));
}
