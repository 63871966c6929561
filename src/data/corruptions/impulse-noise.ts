/**
 * Salt-and-pepper noise as skimage's random_noise(mode='s&p'): each channel value independently is
 * replaced with probability `amount`, by 1 or 0 with equal odds.
 */

import { atSeverity, type Corruption, mapUnit } from './corruption.js';

const AMOUNT = [0.01, 0.02, 0.03, 0.05, 0.07];

export const impulseNoise: Corruption = {
  name: 'impulse_noise',
  apply(image, severity, random) {
    const amount = atSeverity(AMOUNT, severity);
    return mapUnit(image, (x) => {
      if (random.uniform() >= amount) return x;
      return random.uniform() < 0.5 ? 1 : 0;
    });
  },
};
