/** Pixelation: PIL box-filter downscale to ⌊size · c⌋, then box-filter upscale back. */

import { resizeImage } from '../image/resample.js';
import { atSeverity, type Corruption } from './corruption.js';

const SCALE = [0.95, 0.9, 0.85, 0.75, 0.65];

export const pixelate: Corruption = {
  name: 'pixelate',
  apply(image, severity) {
    const scale = atSeverity(SCALE, severity);
    const small = resizeImage(
      image,
      Math.max(1, Math.trunc(image.width * scale)),
      Math.max(1, Math.trunc(image.height * scale)),
      'box',
    );
    return resizeImage(small, image.width, image.height, 'box');
  },
};
