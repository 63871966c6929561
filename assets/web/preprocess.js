/**
 * The page's image preprocessing: Hugging Face's CLIPImageProcessor as wemoe implements it
 * (src/data/preprocess/clip.ts, src/data/image/resample.ts), driven by the export's
 * preprocessor_config.json: PIL-exact resize, center crop with zero padding, rescale, normalise in
 * float32, channels first. A test runs this file against wemoe's own preprocessing, bit for bit.
 */

/** PIL resampling codes → kernel (support, weight). */
const KERNELS = {
  4: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  2: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  3: { support: 2, weight: bicubic },
};

/** Keys' cubic convolution with a = −0.5, PIL's BICUBIC. */
function bicubic(x) {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** PIL's fixed-point coefficients: 22 fractional bits. */
const PRECISION_BITS = 22;

function taps(inSize, outSize, code) {
  const kernel = KERNELS[code];
  if (!kernel) throw new Error(`preprocessor_config.json: resample ${code}: expected 2, 3 or 4`);
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const first = new Int32Array(outSize);
  const weights = [];
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    const raw = new Float64Array(hi - lo);
    let total = 0;
    for (let i = 0; i < raw.length; i++) {
      raw[i] = kernel.weight((i + lo - center + 0.5) / filterScale);
      total += raw[i];
    }
    first[out] = lo;
    weights.push(
      Int32Array.from(raw, (w) => {
        const v = total === 0 ? w : w / total;
        return Math.trunc(v * (1 << PRECISION_BITS) + (v < 0 ? -0.5 : 0.5));
      }),
    );
  }
  return { first, weights };
}

const clip8 = (sum) => Math.min(Math.max(sum >> PRECISION_BITS, 0), 255);

/** One separable pass of PIL's resize along 'x' or 'y'. */
function resizeAxis(image, outSize, axis, code) {
  const horizontal = axis === 'x';
  const inSize = horizontal ? image.width : image.height;
  const width = horizontal ? outSize : image.width;
  const height = horizontal ? image.height : outSize;
  const { first, weights } = taps(inSize, outSize, code);
  const step = horizontal ? 3 : image.width * 3;
  const lineIn = horizontal ? image.width * 3 : 3;
  const lineOut = horizontal ? width * 3 : 3;
  const outStep = horizontal ? 3 : width * 3;
  const lines = horizontal ? image.height : image.width;
  const src = image.data;
  const dst = new Uint8Array(width * height * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let line = 0; line < lines; line++) {
    for (let out = 0; out < outSize; out++) {
      const k = weights[out];
      let at = line * lineIn + first[out] * step;
      let r = half;
      let g = half;
      let b = half;
      for (let i = 0; i < k.length; i++, at += step) {
        r += src[at] * k[i];
        g += src[at + 1] * k[i];
        b += src[at + 2] * k[i];
      }
      const to = line * lineOut + out * outStep;
      dst[to] = clip8(r);
      dst[to + 1] = clip8(g);
      dst[to + 2] = clip8(b);
    }
  }
  return { width, height, data: dst };
}

/** Size after the resize step: {shortest_edge} keeps the aspect ratio, {height, width} is exact. */
function resizedSize(width, height, size) {
  if (size.shortest_edge === undefined) return [size.width, size.height];
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.floor((size.shortest_edge * long) / short);
  return width <= height ? [size.shortest_edge, newLong] : [newLong, size.shortest_edge];
}

function centerCrop(image, width, height) {
  const top = Math.floor((image.height - height) / 2);
  const left = Math.floor((image.width - width) / 2);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < width; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= image.width) continue;
      const from = (sy * image.width + sx) * 3;
      data.set(image.data.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

/** uint8 → float32 per channel as numpy computes it (rescale in float64, then float32 arithmetic). */
function channelTables(config) {
  const f = Math.fround;
  return [0, 1, 2].map((c) => {
    const table = new Float32Array(256);
    const mean = f(config.image_mean[c]);
    const std = f(config.image_std[c]);
    for (let v = 0; v < 256; v++) {
      const rescaled = config.do_rescale ? f(v * config.rescale_factor) : v;
      table[v] = config.do_normalize ? f(f(rescaled - mean) / std) : rescaled;
    }
    return table;
  });
}

/**
 * An RGB image {width, height, data: Uint8Array HWC} → {width, height, pixels: Float32Array [3, H, W]},
 * following preprocessor_config.json `config`.
 */
export function preprocess(image, config) {
  let current = image;
  if (config.do_resize) {
    const [width, height] = resizedSize(image.width, image.height, config.size);
    if (width !== current.width) current = resizeAxis(current, width, 'x', config.resample);
    if (height !== current.height) current = resizeAxis(current, height, 'y', config.resample);
  }
  if (config.do_center_crop) current = centerCrop(current, config.crop_size.width, config.crop_size.height);
  const plane = current.width * current.height;
  const pixels = new Float32Array(3 * plane);
  const tables = channelTables(config);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) pixels[c * plane + p] = tables[c][current.data[p * 3 + c]];
  }
  return { width: current.width, height: current.height, pixels };
}

/** RGBA canvas pixels (ImageData.data) → RGB; alpha is dropped, as PIL's convert('RGB') does. */
export function rgbFromRgba(rgba, width, height) {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    data[p * 3] = rgba[p * 4];
    data[p * 3 + 1] = rgba[p * 4 + 1];
    data[p * 3 + 2] = rgba[p * 4 + 2];
  }
  return { width, height, data };
}
