/**
 * Motion blur along a random direction (uniform in ±45°), as ImageMagick's MotionBlurImage(radius,
 * sigma, angle), which CIFAR-10-C called through Wand: 2·radius + 1 one-sided Gaussian taps
 * exp(−i²/2σ²), normalised, tap i reading the pixel i steps along the direction (rounded to whole
 * pixels), edges replicated, result rounded to uint8 (the imagecorruptions package re-implements the
 * same kernel without ImageMagick).
 */

import { atSeverity, type Corruption } from './corruption.js';

const RADIUS_SIGMA: readonly [number, number][] = [
  [6, 1],
  [6, 1.5],
  [6, 2],
  [8, 2],
  [9, 2.5],
];

export const motionBlur: Corruption = {
  name: 'motion_blur',
  apply(image, severity, random) {
    const [radius, sigma] = atSeverity(RADIUS_SIGMA, severity);
    const angle = (random.between(-45, 45) * Math.PI) / 180;
    const taps = 2 * radius + 1;
    const weights = Array.from({ length: taps }, (_, i) => Math.exp(-(i * i) / (2 * sigma * sigma)));
    const total = weights.reduce((s, w) => s + w, 0);
    const { width, height } = image;
    const sum = new Float64Array(image.data.length);
    for (let i = 0; i < taps; i++) {
      const dy = -Math.ceil(i * Math.sin(angle) - 0.5);
      const dx = -Math.ceil(i * Math.cos(angle) - 0.5);
      if (Math.abs(dy) >= height || Math.abs(dx) >= width) break;
      addShifted(sum, image.data, width, height, dx, dy, weights[i] / total);
    }
    return { width, height, data: Uint8Array.from(sum, (v) => Math.round(Math.min(Math.max(v, 0), 255))) };
  },
};

/** sum(y, x) += weight · image(clamp(y − dy), clamp(x − dx)). */
function addShifted(
  sum: Float64Array,
  data: Uint8Array,
  width: number,
  height: number,
  dx: number,
  dy: number,
  weight: number,
): void {
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(y - dy, 0), height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max(x - dx, 0), width - 1);
      const from = (sy * width + sx) * 3;
      const to = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) sum[to + c] += weight * data[from + c];
    }
  }
}
