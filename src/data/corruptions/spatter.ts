/**
 * Spatter: a "liquid layer" of blurred Gaussian noise, thresholded into blobs. Severities 1–3 splash
 * pale-turquoise water onto the image (added on top, textured by spatter-texture.ts); 4–5 cover it
 * with mud brown (replacing it).
 */

import type { RgbImage } from '../image/rgb-image.js';
import type { Random } from '../random.js';
import { atSeverity, type Corruption, unitToByte } from './corruption.js';
import { gaussianFilter } from './gaussian-filter.js';
import { waterTexture } from './spatter-texture.js';

interface SpatterParameters {
  readonly loc: number;
  readonly scale: number;
  readonly sigma: number;
  readonly threshold: number;
  /** Water: peak intensity of the splash; mud: blur σ of the blob mask. */
  readonly strength: number;
  readonly mud: boolean;
}

const TABLE: readonly SpatterParameters[] = [
  { loc: 0.62, scale: 0.1, sigma: 0.7, threshold: 0.7, strength: 0.5, mud: false },
  { loc: 0.65, scale: 0.1, sigma: 0.8, threshold: 0.7, strength: 0.5, mud: false },
  { loc: 0.65, scale: 0.3, sigma: 1, threshold: 0.69, strength: 0.5, mud: false },
  { loc: 0.65, scale: 0.1, sigma: 0.7, threshold: 0.69, strength: 0.6, mud: true },
  { loc: 0.65, scale: 0.1, sigma: 0.5, threshold: 0.68, strength: 0.6, mud: true },
];

const WATER = [175 / 255, 238 / 255, 238 / 255];
const MUD = [63 / 255, 42 / 255, 20 / 255];

export const spatter: Corruption = {
  name: 'spatter',
  apply(image, severity, random) {
    const p = atSeverity(TABLE, severity);
    const liquid = liquidLayer(image.width, image.height, p, random);
    return p.mud ? mud(image, liquid, p) : water(image, liquid, p);
  },
};

/** N(loc, scale²) noise, Gaussian-blurred, zero below the threshold. */
function liquidLayer(width: number, height: number, p: SpatterParameters, random: Random): Float64Array {
  const noise = Float64Array.from({ length: width * height }, () => p.loc + p.scale * random.normal());
  const liquid = gaussianFilter(noise, width, height, p.sigma);
  for (let i = 0; i < liquid.length; i++) if (liquid[i] < p.threshold) liquid[i] = 0;
  return liquid;
}

/**
 * Water: the liquid layer (as uint8) times the embossed edge-distance texture, scaled to peak at
 * `strength`, added in pale turquoise. float32 steps as numpy takes them in the reference.
 */
function water(image: RgbImage, liquid: Float64Array, p: SpatterParameters): RgbImage {
  const f = Math.fround;
  const liquidBytes = Uint8Array.from(liquid, (v) => Math.min(255, Math.trunc(v * 255)));
  const texture = waterTexture(liquidBytes, image.width, image.height);
  const weight = Float64Array.from(texture, (t, i) => f(liquidBytes[i] * t));
  const peak = weight.reduce((m, v) => Math.max(m, v), 0);
  const colour = WATER.map(f);
  const data = new Uint8Array(image.data.length);
  for (let px = 0; px < weight.length; px++) {
    const m = peak > 0 ? f(f(weight[px] / peak) * f(p.strength)) : 0;
    for (let c = 0; c < 3; c++) {
      const x = f(f(image.data[px * 3 + c] / 255) + f(m * colour[c]));
      data[px * 3 + c] = Math.trunc(f(Math.min(Math.max(x, 0), 1) * 255));
    }
  }
  return { width: image.width, height: image.height, data };
}

/** Blobs above the threshold, blurred, kept where ≥ 0.8: there the image is replaced by mud. */
function mud(image: RgbImage, liquid: Float64Array, p: SpatterParameters): RgbImage {
  const blobs = Float64Array.from(liquid, (v) => (v > p.threshold ? 1 : 0));
  const mask = gaussianFilter(blobs, image.width, image.height, p.strength);
  const data = new Uint8Array(image.data.length);
  for (let px = 0; px < mask.length; px++) {
    const m = mask[px] < 0.8 ? 0 : mask[px];
    for (let c = 0; c < 3; c++)
      data[px * 3 + c] = unitToByte((image.data[px * 3 + c] / 255) * (1 - m) + MUD[c] * m);
  }
  return { width: image.width, height: image.height, data };
}
