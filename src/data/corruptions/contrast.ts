/** Contrast reduction: (x − mean) · c + mean, with the mean per channel over the image. */

import { atSeverity, type Corruption, mapUnit } from './corruption.js';

const FACTOR = [0.75, 0.5, 0.4, 0.3, 0.15];

export const contrast: Corruption = {
  name: 'contrast',
  apply(image, severity) {
    const factor = atSeverity(FACTOR, severity);
    const means = [0, 0, 0];
    for (let i = 0; i < image.data.length; i++) means[i % 3] += image.data[i] / 255;
    const pixels = image.width * image.height;
    for (let c = 0; c < 3; c++) means[c] /= pixels;
    return mapUnit(image, (x, i) => (x - means[i % 3]) * factor + means[i % 3]);
  },
};
