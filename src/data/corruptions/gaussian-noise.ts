/** Additive Gaussian noise: x + N(0, σ²) per channel value, σ from the CIFAR-10-C table. */

import { atSeverity, type Corruption, mapUnit } from './corruption.js';

const SIGMA = [0.04, 0.06, 0.08, 0.09, 0.1];

export const gaussianNoise: Corruption = {
  name: 'gaussian_noise',
  apply(image, severity, random) {
    const sigma = atSeverity(SIGMA, severity);
    return mapUnit(image, (x) => x + sigma * random.normal());
  },
};
