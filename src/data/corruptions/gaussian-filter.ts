/**
 * 2-D Gaussian smoothing of a single-channel float map, as skimage.filters.gaussian (scipy's
 * gaussian_filter) computes it by default: separable, truncated at 4σ, edges repeated ('nearest').
 */

export function gaussianFilter(
  map: Float64Array,
  width: number,
  height: number,
  sigma: number,
): Float64Array {
  const radius = Math.trunc(4 * sigma + 0.5);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-0.5 * ((i - radius) / sigma) ** 2),
  );
  const total = kernel.reduce((s, w) => s + w, 0);
  const weights = kernel.map((w) => w / total);
  const rows = new Float64Array(map.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++)
        acc += weights[k + radius] * map[y * width + clamp(x + k, width)];
      rows[y * width + x] = acc;
    }
  }
  const out = new Float64Array(map.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++)
        acc += weights[k + radius] * rows[clamp(y + k, height) * width + x];
      out[y * width + x] = acc;
    }
  }
  return out;
}

function clamp(i: number, size: number): number {
  return i < 0 ? 0 : i >= size ? size - 1 : i;
}
