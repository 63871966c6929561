/**
 * The water texture of Hendrycks' spatter (severities 1–3), following the reference's OpenCV calls
 * on a single-channel uint8 map: Canny(50, 150) edges → distance to the nearest edge (5×5 chamfer,
 * DIST_L2) truncated at 20 → 3×3 box blur → histogram equalisation → emboss kernel → 3×3 box blur.
 * Borders as OpenCV's: replicated for Canny's Sobel, reflect-101 for the filters.
 */

const EMBOSS = [-2, -1, 0, -1, 1, 1, 0, 1, 2];

export function waterTexture(liquid: Uint8Array, width: number, height: number): Float64Array {
  const edges = canny(liquid, width, height, 50, 150);
  const distance = distanceToEdges(edges, width, height).map((d) => Math.min(d, 20));
  const blurred = Uint8Array.from(boxBlur3(distance, width, height), (v) => Math.trunc(Math.fround(v)));
  const embossed = filter3(equalizeHistogram(blurred), width, height, EMBOSS);
  const saturated = Uint8Array.from(embossed, (v) => Math.min(Math.max(v, 0), 255));
  return boxBlur3(saturated, width, height).map((v) => roundHalfEven(v));
}

const clamp = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i);
const reflect101 = (i: number, n: number) => (n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** OpenCV's Canny with a 3×3 Sobel and the L1 gradient norm; 255 on edges, 0 elsewhere. */
export function canny(src: Uint8Array, width: number, height: number, low: number, high: number): Uint8Array {
  const at = (y: number, x: number) => src[clamp(y, height) * width + clamp(x, width)];
  const gx = new Int32Array(width * height);
  const gy = new Int32Array(width * height);
  const mag = new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      gx[i] =
        at(y - 1, x + 1) +
        2 * at(y, x + 1) +
        at(y + 1, x + 1) -
        at(y - 1, x - 1) -
        2 * at(y, x - 1) -
        at(y + 1, x - 1);
      gy[i] =
        at(y + 1, x - 1) +
        2 * at(y + 1, x) +
        at(y + 1, x + 1) -
        at(y - 1, x - 1) -
        2 * at(y - 1, x) -
        at(y - 1, x + 1);
      mag[i] = Math.abs(gx[i]) + Math.abs(gy[i]);
    }
  }
  const magAt = (y: number, x: number) =>
    y < 0 || y >= height || x < 0 || x >= width ? 0 : mag[y * width + x];
  // 0: not an edge, 1: weak candidate, 2: edge.
  const state = new Uint8Array(width * height);
  const stack: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (mag[i] <= low || !isLocalMaximum(gx[i], gy[i], mag[i], y, x, magAt)) continue;
      state[i] = mag[i] > high ? 2 : 1;
      if (state[i] === 2) stack.push(i);
    }
  }
  while (stack.length > 0) {
    const i = stack.pop()!;
    const y = Math.floor(i / width);
    const x = i % width;
    for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
      for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) {
        const j = ny * width + nx;
        if (state[j] === 1) {
          state[j] = 2;
          stack.push(j);
        }
      }
    }
  }
  return state.map((s) => (s === 2 ? 255 : 0));
}

/** Non-maximum suppression along the gradient, quantised to 4 directions with tan 22.5° in Q15. */
function isLocalMaximum(
  gx: number,
  gy: number,
  m: number,
  y: number,
  x: number,
  magAt: (y: number, x: number) => number,
): boolean {
  const TG22 = 13573; // round(tan(22.5°) · 2^15)
  const ax = Math.abs(gx);
  const ay = Math.abs(gy) * 32768;
  const tg22x = ax * TG22;
  if (ay < tg22x) return m > magAt(y, x - 1) && m >= magAt(y, x + 1);
  const tg67x = tg22x + ax * 65536;
  if (ay > tg67x) return m > magAt(y - 1, x) && m >= magAt(y + 1, x);
  const s = gx < 0 !== gy < 0 ? -1 : 1;
  return m > magAt(y - 1, x - s) && m > magAt(y + 1, x + s);
}

/** OpenCV's distanceTransform(DIST_L2, 5): two chamfer passes with weights 1, 1.4, 2.1969 in Q16. */
function distanceToEdges(edges: Uint8Array, width: number, height: number): Float64Array {
  const [a, b, c] = [65536, 91750, 143976];
  const far = 2 ** 29;
  const t = Float64Array.from(edges, (e) => (e === 255 ? 0 : far));
  const get = (y: number, x: number) =>
    y < 0 || y >= height || x < 0 || x >= width ? far : t[y * width + x];
  const forward: [number, number, number][] = [
    [-2, -1, c],
    [-2, 1, c],
    [-1, -2, c],
    [-1, -1, b],
    [-1, 0, a],
    [-1, 1, b],
    [-1, 2, c],
    [0, -1, a],
  ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (t[i] !== 0) t[i] = Math.min(t[i], ...forward.map(([dy, dx, w]) => get(y + dy, x + dx) + w));
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      if (t[i] > a) t[i] = Math.min(t[i], ...forward.map(([dy, dx, w]) => get(y - dy, x - dx) + w));
    }
  }
  return t.map((v) => v / 65536);
}

/** 3×3 mean with reflect-101 borders (cv2.blur), in double precision. */
function boxBlur3(src: ArrayLike<number>, width: number, height: number): Float64Array {
  return filter3(src, width, height, [1, 1, 1, 1, 1, 1, 1, 1, 1]).map((s) => s * (1 / 9));
}

/** 3×3 correlation with reflect-101 borders (cv2.filter2D), unscaled. */
function filter3(src: ArrayLike<number>, width: number, height: number, kernel: number[]): Float64Array {
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = 0; k < 9; k++) {
        const sy = reflect101(y + Math.floor(k / 3) - 1, height);
        const sx = reflect101(x + (k % 3) - 1, width);
        sum += kernel[k] * src[sy * width + sx];
      }
      out[y * width + x] = sum;
    }
  }
  return out;
}

/** cv2.equalizeHist: cumulative histogram from the first occupied level, scaled to 0..255. */
function equalizeHistogram(src: Uint8Array): Uint8Array {
  const histogram = new Int32Array(256);
  for (const v of src) histogram[v]++;
  let first = 0;
  while (histogram[first] === 0) first++;
  if (histogram[first] === src.length) return new Uint8Array(src.length).fill(first);
  const scale = Math.fround(255 / (src.length - histogram[first]));
  const lut = new Uint8Array(256);
  let sum = 0;
  for (let level = first + 1; level < 256; level++) {
    sum += histogram[level];
    lut[level] = Math.min(255, roundHalfEven(Math.fround(sum * scale)));
  }
  return src.map((v) => lut[v]);
}
