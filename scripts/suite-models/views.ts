/**
 * Random views of one suite image for contrastive pre-training (SimCLR's recipe at 32 px): a random
 * resized crop with a small rotation, then colour changes (grayscale, inversion, contrast, brightness,
 * per-channel tint). Two views of the same image must be matched among the batch, which teaches the
 * encoder what stays the same: the glyph's shape and the task's style, not the exact pixels.
 */
import { CLIP_MEAN as MEAN, CLIP_STD as STD } from '../../src/data/preprocess/config.js';
import type { Random } from '../../src/data/random.js';

const SIDE = 32;
const PLANE = SIDE * SIDE;

interface ViewParams {
  /** Crop size in source pixels and its centre. */
  readonly width: number;
  readonly height: number;
  readonly cx: number;
  readonly cy: number;
  readonly cos: number;
  readonly sin: number;
  readonly gray: boolean;
  readonly invert: boolean;
  readonly contrast: number;
  readonly brightness: number;
  readonly tint: readonly number[];
}

function drawView(random: Random): ViewParams {
  const scale = random.between(0.6, 1);
  const aspect = Math.exp(random.between(-0.25, 0.25));
  const width = SIDE * scale * Math.sqrt(aspect);
  const height = (SIDE * scale) / Math.sqrt(aspect);
  const cx = SIDE / 2 + (random.between(-1, 1) * (SIDE - width)) / 2;
  const cy = SIDE / 2 + (random.between(-1, 1) * (SIDE - height)) / 2;
  const angle = random.between(-0.25, 0.25);
  return {
    width,
    height,
    cx,
    cy,
    cos: Math.cos(angle),
    sin: Math.sin(angle),
    gray: random.uniform() < 0.2,
    invert: random.uniform() < 0.2,
    contrast: random.between(0.6, 1.4),
    brightness: random.between(-0.3, 0.3),
    tint: [0, 1, 2].map(() => random.between(-0.15, 0.15)),
  };
}

const clampCoord = (v: number) => Math.min(SIDE - 1, Math.max(0, v));

/** Bilinear sample of channel plane `base` of `src` at (x, y), in [0, 1]. */
function sample(src: Uint8Array, base: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(SIDE - 1, x0 + 1);
  const y1 = Math.min(SIDE - 1, y0 + 1);
  const fx = x - x0;
  const fy = y - y0;
  const top = src[base + y0 * SIDE + x0] * (1 - fx) + src[base + y0 * SIDE + x1] * fx;
  const bottom = src[base + y1 * SIDE + x0] * (1 - fx) + src[base + y1 * SIDE + x1] * fx;
  return (top * (1 - fy) + bottom * fy) / 255;
}

/**
 * Writes a random view of `src` (u8 [3, 32, 32]) into `out` (F32, CLIP-normalised) at `offset`;
 * the same `random` state gives the same view.
 */
export function writeRandomView(src: Uint8Array, random: Random, out: Float32Array, offset: number): void {
  const v = drawView(random);
  const rgb = [0, 0, 0];
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const u = ((x + 0.5) / SIDE - 0.5) * v.width;
      const w = ((y + 0.5) / SIDE - 0.5) * v.height;
      const sx = clampCoord(v.cx + v.cos * u - v.sin * w - 0.5);
      const sy = clampCoord(v.cy + v.sin * u + v.cos * w - 0.5);
      for (let c = 0; c < 3; c++) rgb[c] = sample(src, c * PLANE, sx, sy);
      if (v.gray) rgb[0] = rgb[1] = rgb[2] = (rgb[0] + rgb[1] + rgb[2]) / 3;
      for (let c = 0; c < 3; c++) {
        const value = v.invert ? 1 - rgb[c] : rgb[c];
        const changed = (value - 0.5) * v.contrast + 0.5 + v.brightness + v.tint[c];
        out[offset + c * PLANE + y * SIDE + x] = (Math.min(1, Math.max(0, changed)) - MEAN[c]) / STD[c];
      }
    }
  }
}
