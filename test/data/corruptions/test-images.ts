/**
 * "Natural-ish" test images: a smooth gradient background with a few discs and boxes of random
 * colours at random places (seeded), and one smooth sinusoidal texture.
 */

import type { RgbImage } from '../../../src/data/image/rgb-image.js';
import { createRandom, type Random } from '../../../src/data/random.js';

type Rgb = [number, number, number];

const colour = (random: Random): Rgb => [random.int(256), random.int(256), random.int(256)];

/** A gradient between two random colours with 2–4 random shapes painted over it. */
export function shapesImage(seed: number, size = 32): RgbImage {
  const random = createRandom(seed);
  const [from, to] = [colour(random), colour(random)];
  const shapes = Array.from({ length: 2 + random.int(3) }, () => ({
    disc: random.uniform() < 0.5,
    cx: random.between(0, size),
    cy: random.between(0, size),
    r: random.between(size / 10, size / 3),
    rgb: colour(random),
  }));
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * (size - 1));
      let rgb = from.map((f, c) => f + (to[c] - f) * t);
      for (const s of shapes) {
        const inside = s.disc
          ? (x - s.cx) ** 2 + (y - s.cy) ** 2 <= s.r ** 2
          : Math.abs(x - s.cx) <= s.r && Math.abs(y - s.cy) <= s.r / 2;
        if (inside) rgb = s.rgb;
      }
      data.set(rgb.map(Math.round), (y * size + x) * 3);
    }
  }
  return { width: size, height: size, data };
}

export function sinusoidImage(size = 32): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const rgb = [128 + 90 * Math.sin(x / 3), 128 + 90 * Math.cos(y / 4), 128 + 60 * Math.sin((x + y) / 5)];
      data.set(rgb.map(Math.round), (y * size + x) * 3);
    }
  }
  return { width: size, height: size, data };
}

export function testImages(count = 8, size = 32): RgbImage[] {
  return [sinusoidImage(size), ...Array.from({ length: count - 1 }, (_, i) => shapesImage(100 + i, size))];
}

export function meanAbsDifference(a: RgbImage, b: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
  return sum / a.data.length;
}
