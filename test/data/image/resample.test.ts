import { describe, expect, it } from 'vitest';
import { computeTaps, resizeImage } from '../../../src/data/image/resample.js';
import type { RgbImage } from '../../../src/data/image/rgb-image.js';
import { WemoeError } from '../../../src/errors.js';

/** A one-row image whose three channels all hold `values`. */
function grayRow(values: number[]): RgbImage {
  return { width: values.length, height: 1, data: Uint8Array.from(values.flatMap((v) => [v, v, v])) };
}
const red = (image: RgbImage) => Array.from(image.data.filter((_, i) => i % 3 === 0));

/** (x·37 + y·11, x²·13 + y·29, 255 − 30x − 7y) mod 256 on 7 × 5 pixels. */
function pattern(): RgbImage {
  const width = 7;
  const height = 5;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = [x * 37 + y * 11, x * x * 13 + y * 29, 255 - x * 30 - y * 7].map(
        (v) => ((v % 256) + 256) % 256,
      );
      data.set(rgb, (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

describe('computeTaps', () => {
  it('stretches the bicubic support by the downscale factor and normalises the weights', () => {
    // 4 → 2: scale 2, support 4; output 0 is centred at 1 and sees inputs 0..3 at kernel
    // arguments (i − 0.5)/2 = −0.25, 0.25, 0.75, 1.25 → weights .8671875, .8671875, .2265625, −.0703125
    // (sum 1.890625), in 22-bit fixed point.
    const taps = computeTaps(4, 2, 'bicubic');
    expect(Array.from(taps.first)).toEqual([0, 0]);
    const expected = [0.8671875, 0.8671875, 0.2265625, -0.0703125].map((w) => (w / 1.890625) * 2 ** 22);
    const errors = Array.from(taps.weights[0], (w, i) => Math.abs(w - expected[i]));
    expect(Math.max(...errors)).toBeLessThanOrEqual(0.5);
  });
});

describe('resizeImage (PIL-exact)', () => {
  it('shrinks 4 → 2 pixels with antialiased bicubic: [0,100,200,255] → [60, 221]', () => {
    // Output 0: (0.8671875·100 + 0.2265625·200 − 0.0703125·255) / 1.890625 = 60.35 → 60; output 1 mirrors it.
    expect(red(resizeImage(grayRow([0, 100, 200, 255]), 2, 1, 'bicubic'))).toEqual([60, 221]);
  });

  it('enlarges 2 → 4 pixels: [0, 200] → [0, 41, 159, 218] (overshoot clipped at 0)', () => {
    // Output 0 at centre 0.25: weights (0.8671875, −0.0703125)/0.796875 → −17.6 → clipped to 0;
    // output 1 at 0.75: (0.8671875, 0.2265625)/1.09375 → 41.4 → 41; outputs 2, 3 by symmetry of the kernel.
    expect(red(resizeImage(grayRow([0, 200]), 4, 1, 'bicubic'))).toEqual([0, 41, 159, 218]);
  });

  it('shrinks with the bilinear and box kernels too', () => {
    // Bilinear 4 → 2: triangle weights 0.75, 0.75, 0.25 → (300 + 200)/7 = 71.4.
    expect(red(resizeImage(grayRow([0, 100, 200, 255]), 2, 1, 'bilinear'))).toEqual([71, 209]);
    // Box 4 → 2: means of pairs, (0 + 100)/2 and (200 + 255)/2 = 227.5 → 228 (rounded half up).
    expect(red(resizeImage(grayRow([0, 100, 200, 255]), 2, 1, 'box'))).toEqual([50, 228]);
  });

  it('keeps a constant image constant and the same size as identity', () => {
    expect(red(resizeImage(grayRow([7, 7, 7, 7, 7]), 3, 1, 'bicubic'))).toEqual([7, 7, 7]);
    const image = pattern();
    const same = resizeImage(image, image.width, image.height, 'bicubic');
    expect(Array.from(same.data)).toEqual(Array.from(image.data));
    expect(same.data).not.toBe(image.data);
  });

  it('matches PIL 9.4 Image.resize(BICUBIC) on a 7×5 RGB pattern, shrinking to 4×3', () => {
    const out = resizeImage(pattern(), 4, 3, 'bicubic');
    expect(Array.from(out.data)).toEqual([
      19, 13, 241, 81, 73, 191, 149, 172, 135, 211, 165, 85, 37, 61, 229, 99, 125, 179, 167, 111, 123, 234,
      91, 73, 55, 109, 217, 117, 174, 167, 191, 127, 111, 165, 103, 61,
    ]);
  });

  it('matches PIL 9.4 enlarging the pattern to 11×9 (row 4 and the total)', () => {
    const out = resizeImage(pattern(), 11, 9, 'bicubic');
    expect(Array.from(out.data.subarray(4 * 33, 5 * 33))).toEqual([
      19, 57, 243, 35, 61, 230, 62, 73, 208, 86, 97, 189, 109, 141, 170, 133, 175, 151, 157, 59, 132, 180, 28,
      113, 204, 124, 94, 231, 67, 72, 247, 6, 59,
    ]);
    expect(out.data.reduce((sum, v) => sum + v, 0)).toBe(38280);
  });

  it('rejects a non-positive target size', () => {
    expect(() => resizeImage(pattern(), 0, 3, 'bicubic')).toThrow(WemoeError);
  });
});
