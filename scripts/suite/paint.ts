/**
 * Canvas helpers for the rendered tasks: colours with a contrast guarantee, backgrounds (gradients,
 * value-noise textures), and glyphs fitted to a target size under an affine jitter. Everything is drawn
 * on a BIG×BIG canvas and averaged down to 32×32 (raster.ts).
 */
import { type Canvas, createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { Random } from '../../src/data/random.js';
import { downsampleRgba, SIDE } from './raster.js';

export const BIG = SIDE * 2;

export type Rgb = readonly [number, number, number];

export function css([r, g, b]: Rgb, alpha = 1): string {
  return `rgba(${Math.round(r)},${Math.round(g)},${Math.round(b)},${alpha})`;
}

/** Luma in [0, 1]. */
export function luma([r, g, b]: Rgb): number {
  return (0.299 * r + 0.587 * g + 0.114 * b) / 255;
}

/** HSL (h in turns, s and l in [0, 1]) → RGB 0..255. */
export function hsl(h: number, s: number, l: number): Rgb {
  const k = (n: number) => (n + h * 12) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => 255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1)));
  return [f(0), f(8), f(4)];
}

/** Draws colours from `make` until one differs in luma from `against` by at least `minDiff`. */
export function contrasting(random: Random, against: Rgb, minDiff: number, make: (r: Random) => Rgb): Rgb {
  for (let attempt = 0; attempt < 64; attempt++) {
    const colour = make(random);
    if (Math.abs(luma(colour) - luma(against)) >= minDiff) return colour;
  }
  const [r, g, b] = against;
  return luma(against) > 0.5 ? [r * 0.2, g * 0.2, b * 0.2] : [255 - r * 0.2, 255 - g * 0.2, 255 - b * 0.2];
}

/** A reusable drawing surface; `pixels()` returns planar RGB floats [3, 32, 32]. */
export class Surface {
  readonly canvas: Canvas = createCanvas(BIG, BIG);
  readonly ctx: SKRSContext2D = this.canvas.getContext('2d');

  reset(): void {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.globalAlpha = 1;
    this.ctx.clearRect(0, 0, BIG, BIG);
  }

  pixels(): Float32Array {
    return downsampleRgba(this.ctx.getImageData(0, 0, BIG, BIG).data);
  }
}

export function fillSolid(ctx: SKRSContext2D, colour: Rgb): void {
  ctx.fillStyle = css(colour);
  ctx.fillRect(0, 0, BIG, BIG);
}

export function fillLinearGradient(ctx: SKRSContext2D, from: Rgb, to: Rgb, angle: number): void {
  const dx = (Math.cos(angle) * BIG) / 2;
  const dy = (Math.sin(angle) * BIG) / 2;
  const gradient = ctx.createLinearGradient(BIG / 2 - dx, BIG / 2 - dy, BIG / 2 + dx, BIG / 2 + dy);
  gradient.addColorStop(0, css(from));
  gradient.addColorStop(1, css(to));
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, BIG, BIG);
}

/**
 * Fills the canvas with `base` modulated by smooth value noise: a (cells+1)² grid of uniform values
 * in [-1, 1], bilinearly interpolated, times `amplitude` (0..255 units), plus a finer octave at half weight.
 */
export function fillTexture(
  ctx: SKRSContext2D,
  random: Random,
  base: Rgb,
  amplitude: number,
  cells: number,
): void {
  const coarse = valueNoise(random, cells);
  const fine = valueNoise(random, cells * 3);
  const image = ctx.createImageData(BIG, BIG);
  const data = image.data;
  for (let i = 0; i < BIG * BIG; i++) {
    const offset = amplitude * (coarse[i] + 0.5 * fine[i]);
    for (let c = 0; c < 3; c++) data[i * 4 + c] = base[c] + offset;
    data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

function valueNoise(random: Random, cells: number): Float32Array {
  const stride = cells + 1;
  const grid = Float32Array.from({ length: stride * stride }, () => random.between(-1, 1));
  const out = new Float32Array(BIG * BIG);
  for (let y = 0; y < BIG; y++) {
    const gy = (y / BIG) * cells;
    const row = Math.floor(gy) * stride;
    const fy = gy - Math.floor(gy);
    for (let x = 0; x < BIG; x++) {
      const gx = (x / BIG) * cells;
      const at = row + Math.floor(gx);
      const fx = gx - Math.floor(gx);
      const top = grid[at] * (1 - fx) + grid[at + 1] * fx;
      const bottom = grid[at + stride] * (1 - fx) + grid[at + stride + 1] * fx;
      out[y * BIG + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Thin straight strokes across the canvas, for clutter. */
export function drawRandomLines(
  ctx: SKRSContext2D,
  random: Random,
  count: number,
  colour: () => Rgb,
  alpha: number,
): void {
  for (let i = 0; i < count; i++) {
    ctx.strokeStyle = css(colour(), alpha);
    ctx.lineWidth = random.between(1, 3);
    ctx.beginPath();
    ctx.moveTo(random.between(-8, BIG + 8), random.between(-8, BIG + 8));
    ctx.lineTo(random.between(-8, BIG + 8), random.between(-8, BIG + 8));
    ctx.stroke();
  }
}

/** Where and how a glyph or shape lands: centre offset (fraction of the canvas), size and affine jitter. */
export interface Placement {
  /** Largest side of the glyph's ink box as a fraction of the canvas. */
  size: number;
  rotation: number;
  shear: number;
  /** Horizontal stretch (vertical gets 1/aspect). */
  aspect: number;
  dx: number;
  dy: number;
}

export interface JitterRanges {
  size: readonly [number, number];
  rotationDeg: number;
  shear: number;
  aspect: number;
  shift: number;
}

export function jitter(random: Random, ranges: JitterRanges): Placement {
  const spread = (limit: number) => random.between(-limit, limit);
  return {
    size: random.between(ranges.size[0], ranges.size[1]),
    rotation: (spread(ranges.rotationDeg) * Math.PI) / 180,
    shear: spread(ranges.shear),
    aspect: Math.exp(spread(Math.log(ranges.aspect))),
    dx: spread(ranges.shift),
    dy: spread(ranges.shift),
  };
}

/** Moves the context's origin to the placement's centre and applies rotation, shear and stretch·`scale`. */
export function enterPlacement(ctx: SKRSContext2D, p: Placement, scale: number): void {
  ctx.translate(BIG / 2 + p.dx * BIG, BIG / 2 + p.dy * BIG);
  ctx.rotate(p.rotation);
  ctx.transform(1, 0, p.shear, 1, 0, 0);
  ctx.scale(scale * p.aspect, scale / p.aspect);
}

export interface Ink {
  fill?: Rgb;
  /** Outline colour and width in output (BIG-canvas) pixels. */
  stroke?: Rgb;
  strokeWidth?: number;
}

const FONT_PX = 100;

/** Ink box of `text` at FONT_PX: width, height, and the offset from the text origin to the box centre. */
export function inkBox(ctx: SKRSContext2D, text: string, family: string) {
  ctx.font = `${FONT_PX}px "${family}"`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  const m = ctx.measureText(text);
  const width = m.actualBoundingBoxLeft + m.actualBoundingBoxRight;
  const height = m.actualBoundingBoxAscent + m.actualBoundingBoxDescent;
  return {
    width,
    height,
    centreX: (m.actualBoundingBoxRight - m.actualBoundingBoxLeft) / 2,
    centreY: (m.actualBoundingBoxDescent - m.actualBoundingBoxAscent) / 2,
  };
}

/**
 * Draws `texts[0]` centred at the placement, scaled so its ink box's larger side is `size`·BIG; further
 * texts are neighbours on the same baseline, `gap` (fraction of the main glyph's width) apart.
 */
export function drawGlyphs(
  ctx: SKRSContext2D,
  texts: readonly string[],
  family: string,
  p: Placement,
  ink: Ink,
  gap = 0.15,
): void {
  const box = inkBox(ctx, texts[0], family);
  const scale = (p.size * BIG) / Math.max(box.width, box.height, 1);
  ctx.save();
  enterPlacement(ctx, p, scale);
  const positions = neighbourOffsets(ctx, texts, family, box.width, gap);
  texts.forEach((text, i) => {
    const x = positions[i];
    if (ink.stroke && ink.strokeWidth) {
      ctx.lineJoin = 'round';
      ctx.lineWidth = ink.strokeWidth / scale;
      ctx.strokeStyle = css(ink.stroke);
      ctx.strokeText(text, x, -box.centreY);
    }
    if (ink.fill) {
      ctx.fillStyle = css(ink.fill);
      ctx.fillText(text, x, -box.centreY);
    }
  });
  ctx.restore();
}

/** Text origins (x) so that text 0 is centred and texts 1 and 2 sit left and right of it. */
function neighbourOffsets(
  ctx: SKRSContext2D,
  texts: readonly string[],
  family: string,
  mainWidth: number,
  gap: number,
): number[] {
  const main = inkBox(ctx, texts[0], family);
  const offsets = [-main.centreX];
  const space = gap * mainWidth;
  texts.slice(1).forEach((text, i) => {
    const box = inkBox(ctx, text, family);
    const centre = i === 0 ? -(mainWidth / 2 + space + box.width / 2) : mainWidth / 2 + space + box.width / 2;
    offsets.push(centre - box.centreX);
  });
  return offsets;
}
