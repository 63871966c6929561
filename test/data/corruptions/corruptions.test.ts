import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { CORRUPTIONS, corrupt, corruptBatch } from '../../../src/data/corruptions/index.js';
import type { RgbImage } from '../../../src/data/image/rgb-image.js';
import { imageFromChw, imageIntoChw } from '../../../src/data/image/rgb-image.js';
import { deriveSeed } from '../../../src/data/random.js';
import { WemoeError } from '../../../src/errors.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { meanAbsDifference, shapesImage, testImages } from './test-images.js';

const RANDOM = ['motion_blur', 'impulse_noise', 'gaussian_noise', 'spatter'];
const images = testImages(6);
const image = images[1];

function stack(list: readonly RgbImage[]): Tensor {
  const { width, height } = list[0];
  const data = new Uint8Array(list.length * 3 * width * height);
  list.forEach((im, i) => {
    imageIntoChw(im, data, i);
  });
  return { dtype: 'U8', shape: [list.length, 3, height, width], data };
}

/** Mean absolute difference to the clean images, per severity 1–5, over the whole test set. */
function distances(name: string): number[] {
  const clean = stack(images);
  return [1, 2, 3, 4, 5].map((severity) => {
    const out = corruptBatch(name, clean, severity, 7).data as Uint8Array;
    return images.reduce(
      (sum, im, i) => sum + meanAbsDifference(im, imageFromChw(out, i, 32, 32)) / images.length,
      0,
    );
  });
}

const solid = (value: number, size = 32): RgbImage => ({
  width: size,
  height: size,
  data: new Uint8Array(size * size * 3).fill(value),
});

describe('corruption registry', () => {
  it('lists the seven corruptions of the paper', () => {
    expect(CORRUPTIONS).toEqual([
      'motion_blur',
      'impulse_noise',
      'gaussian_noise',
      'pixelate',
      'spatter',
      'contrast',
      'jpeg_compression',
    ]);
  });

  it('rejects unknown names (listing the known) and severities outside 1–5', () => {
    expect(() => corrupt('fog', image, 1, 0)).toThrow(WemoeError);
    expect(() => corrupt('fog', image, 1, 0)).toThrow(
      /unknown corruption 'fog'; known: motion_blur, impulse_noise/,
    );
    expect(() => corrupt('contrast', image, 0, 0)).toThrow(/severity: expected an integer 1–5, got 0/);
    expect(() => corrupt('contrast', image, 2.5, 0)).toThrow(WemoeError);
    const floats: Tensor = { dtype: 'F32', shape: [1, 3, 2, 2], data: new Float32Array(12) };
    expect(() => corruptBatch('contrast', floats, 1, 0)).toThrow(/expected U8 \[N, 3, H, W\], got F32/);
  });

  it("accepts 'jpeg' for jpeg_compression", () => {
    expect(corrupt('jpeg', image, 2, 0).data).toEqual(corrupt('jpeg_compression', image, 2, 0).data);
  });
});

describe.each(CORRUPTIONS)('%s', (name) => {
  it('keeps the shape and gives the same bytes for the same seed', () => {
    const a = corrupt(name, image, 3, 123);
    const b = corrupt(name, image, 3, 123);
    expect([a.width, a.height, a.data.length]).toEqual([32, 32, 32 * 32 * 3]);
    expect(a.data).toBeInstanceOf(Uint8Array);
    expect(a.data).toEqual(b.data);
    expect(meanAbsDifference(a, image)).toBeGreaterThan(0);
    if (RANDOM.includes(name)) expect(corrupt(name, image, 3, 124).data).not.toEqual(a.data);
  });

  it('corrupts a CHW batch image by image with seeds derived from the batch seed', () => {
    const pair = [images[0], images[2]];
    const out = corruptBatch(name, stack(pair), 2, 99);
    expect(out.shape).toEqual([2, 3, 32, 32]);
    pair.forEach((im, i) => {
      const expected = corrupt(name, im, 2, deriveSeed(99, i));
      expect(imageFromChw(out.data as Uint8Array, i, 32, 32).data).toEqual(expected.data);
    });
  });
});

describe('distance to the clean images grows with severity', () => {
  it.each(['impulse_noise', 'gaussian_noise', 'pixelate', 'contrast', 'jpeg_compression'])('%s', (name) => {
    const d = distances(name);
    for (let s = 1; s < 5; s++) expect(d[s]).toBeGreaterThan(d[s - 1]);
  });

  it('motion_blur (severities 3 and 4 share σ = 2, radius 6 vs 8 only adds taps below e⁻²¹)', () => {
    const d = distances('motion_blur');
    expect(d[1]).toBeGreaterThan(d[0]);
    expect(d[2]).toBeGreaterThan(d[1]);
    expect(Math.abs(d[3] - d[2])).toBeLessThan(0.05 * d[2]);
    expect(d[4]).toBeGreaterThan(d[3]);
  });

  it('spatter, within each mode: water for severities 1–3, mud for 4–5', () => {
    const d = distances('spatter');
    expect(d[1]).toBeGreaterThan(d[0]);
    expect(d[2]).toBeGreaterThan(d[1]);
    expect(d[4]).toBeGreaterThan(d[3]);
  });
});

describe('corruption values', () => {
  it('contrast: (x − mean)·c + mean, truncated to uint8', () => {
    const twoTone: RgbImage = { width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 255, 255, 255]) };
    // mean 0.5, c = 0.75: 0.125·255 = 31.875 → 31 and 0.875·255 = 223.125 → 223.
    expect(Array.from(corrupt('contrast', twoTone, 1, 0).data)).toEqual([31, 31, 31, 223, 223, 223]);
    // c = 0.15: 0.425·255 = 108.375 → 108, 0.575·255 = 146.625 → 146.
    expect(Array.from(corrupt('contrast', twoTone, 5, 0).data)).toEqual([108, 108, 108, 146, 146, 146]);
  });

  it('gaussian_noise: noise standard deviation σ·255 on mid-gray', () => {
    const out = corrupt('gaussian_noise', solid(128, 64), 3, 5).data;
    const mean = out.reduce((s, v) => s + v, 0) / out.length;
    const sd = Math.sqrt(out.reduce((s, v) => s + (v - mean) ** 2, 0) / out.length);
    expect(sd).toBeGreaterThan(0.08 * 255 * 0.95);
    expect(sd).toBeLessThan(0.08 * 255 * 1.05);
    expect(mean).toBeGreaterThan(126); // truncation lowers the mean by ~0.5
    expect(mean).toBeLessThan(128.5);
  });

  it('impulse_noise: about `amount` of the values become 0 or 255, half each', () => {
    const out = corrupt('impulse_noise', solid(128, 64), 5, 5).data; // amount 0.07
    const salt = out.filter((v) => v === 255).length / out.length;
    const pepper = out.filter((v) => v === 0).length / out.length;
    expect(salt + pepper).toBeGreaterThan(0.06);
    expect(salt + pepper).toBeLessThan(0.08);
    expect(Math.abs(salt - pepper)).toBeLessThan(0.01);
    expect(out.filter((v) => v !== 0 && v !== 255 && v !== 128).length).toBe(0);
  });

  it('motion_blur keeps a constant image constant', () => {
    expect(corrupt('motion_blur', solid(77), 5, 3).data.every((v) => v === 77)).toBe(true);
  });

  it('pixelate equals PIL 9.4 (box 32 → ⌊32c⌋ → 32) on a test image', () => {
    const shapes = shapesImage(100);
    const sums = [1, 3, 5].map((s) => corrupt('pixelate', shapes, s, 0).data.reduce((a, v) => a + v, 0));
    expect(sums).toEqual([379497, 379873, 380715]);
    expect(Array.from(corrupt('pixelate', shapes, 5, 0).data.subarray(0, 12))).toEqual([
      56, 82, 137, 56, 82, 137, 59, 83, 138, 64, 85, 139,
    ]);
    expect(corrupt('pixelate', solid(200), 5, 0).data.every((v) => v === 200)).toBe(true);
  });

  it('spatter: water only adds (severity 1–3), mud pulls pixels toward brown (4–5)', () => {
    for (const severity of [2, 3]) {
      const out = corrupt('spatter', image, severity, 8).data;
      expect(out.every((v, i) => v >= image.data[i] - 1)).toBe(true);
    }
    const white = solid(255);
    const mud = corrupt('spatter', white, 5, 8).data;
    const changed = mud.filter((v) => v < 254).length;
    expect(changed).toBeGreaterThan(0);
    // Mud is (63, 42, 20)/255 mixed in with weight ≥ 0.8: changed red values end at most 0.2·255 + 0.8·63.
    expect(
      mud.filter((_, i) => i % 3 === 0 && mud[i] < 254).every((v) => v <= 0.2 * 255 + 0.8 * 63 + 1),
    ).toBe(true);
  });

  it('spatter equals the CIFAR-10-C reference code (scipy 1.10 + OpenCV 4.6) given the same noise', () => {
    // [image seed, severity, byte sum, changed bytes] of the reference run on our noise draws.
    const cases = [
      [1, 3, 427468, 648],
      [2, 2, 573865, 180],
      [2, 5, 531998, 294],
    ];
    for (const [s, severity, sum, changed] of cases) {
      const clean = shapesImage(100 + s);
      const out = corrupt('spatter', clean, severity, s * 10 + severity).data;
      expect(out.reduce((a, v) => a + v, 0)).toBe(sum);
      expect(out.filter((v, i) => v !== clean.data[i]).length).toBe(changed);
    }
  });

  it('jpeg_compression goes through the real jpeg-js encoder and decoder', () => {
    const rgba = new Uint8Array(32 * 32 * 4);
    for (let p = 0; p < 1024; p++) {
      rgba.set(image.data.subarray(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = 255;
    }
    const direct = jpeg.decode(jpeg.encode({ width: 32, height: 32, data: rgba }, 40).data, {
      useTArray: true,
      formatAsRGBA: false,
    });
    expect(corrupt('jpeg_compression', image, 5, 0).data).toEqual(direct.data);
  });

  it('jpeg_compression falls back to one call per image when sides are not multiples of 8', () => {
    const odd = [testImages(2, 20)[1], testImages(3, 20)[2]];
    const out = corruptBatch('jpeg_compression', stack(odd), 4, 0);
    odd.forEach((im, i) => {
      expect(imageFromChw(out.data as Uint8Array, i, 20, 20).data).toEqual(corrupt('jpeg', im, 4, 0).data);
    });
  });
});
