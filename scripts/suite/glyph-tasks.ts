/**
 * The four font-rendered tasks, each with its own look so that tasks are told apart by their inputs:
 * letters (colour glyphs on gradients, with stray lines), house-digits (SVHN-like: textured walls,
 * plates, partial neighbour digits), greek (grayscale ink on ruled paper), kana (chalk on a board).
 */
import type { Random } from '../../src/data/random.js';
import {
  BIG,
  contrasting,
  css,
  drawGlyphs,
  drawRandomLines,
  fillLinearGradient,
  fillTexture,
  hsl,
  type Ink,
  jitter,
  type Rgb,
  type Surface,
} from './paint.js';
import { maybeBlur, quantizeWithNoise, SIDE, toGray } from './raster.js';

export interface RenderRequest {
  surface: Surface;
  random: Random;
  /** The class's text (a letter, digit or kana). */
  text: string;
  /** Registered font alias. */
  font: string;
}

const mix = (a: Rgb, b: Rgb): Rgb => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];

/** Uppercase Latin: a coloured letter (filled, outlined or haloed) on a two-colour gradient. */
export function renderLetter({ surface, random, text, font }: RenderRequest): Uint8Array {
  const { ctx } = surface;
  surface.reset();
  const hue = random.uniform();
  const from = hsl(hue, random.between(0.2, 0.7), random.between(0.35, 0.85));
  const to = hsl(hue + random.between(-0.2, 0.2), random.between(0.2, 0.7), random.between(0.35, 0.85));
  fillLinearGradient(ctx, from, to, random.between(0, 2 * Math.PI));
  const anyColour = (r: Random) => hsl(r.uniform(), r.between(0.3, 0.9), r.between(0.1, 0.9));
  const fill = contrasting(random, mix(from, to), 0.3, anyColour);
  if (random.uniform() < 0.5) drawRandomLines(ctx, random, 1 + random.int(2), () => anyColour(random), 0.7);
  const placement = jitter(random, {
    size: [0.5, 0.85],
    rotationDeg: 15,
    shear: 0.25,
    aspect: 1.2,
    shift: 0.1,
  });
  const style = random.uniform();
  const ink: Ink =
    style < 0.15
      ? { stroke: fill, strokeWidth: random.between(2, 4) }
      : style < 0.4
        ? { fill, stroke: contrasting(random, fill, 0.3, anyColour), strokeWidth: random.between(2, 5) }
        : { fill };
  drawGlyphs(ctx, [text], font, placement, ink);
  return quantizeWithNoise(maybeBlur(surface.pixels(), random, 0.3, 0.6), random.between(2, 12), random);
}

/** Greek lower case, grayscale: dark ink of varying weight on textured, sometimes ruled, paper. */
export function renderGreek({ surface, random, text, font }: RenderRequest): Uint8Array {
  const { ctx } = surface;
  surface.reset();
  const paper = hsl(random.between(0.05, 0.15), random.between(0, 0.4), random.between(0.72, 0.95));
  fillTexture(ctx, random, paper, random.between(8, 30), 2 + random.int(4));
  if (random.uniform() < 0.4) drawRuling(ctx, random);
  const shade = random.between(0, 0.35) * 255;
  const ink: Rgb = [shade, shade, shade];
  const weight = random.uniform() < 0.5 ? random.between(0.5, 3.5) : 0;
  const placement = jitter(random, {
    size: [0.5, 0.85],
    rotationDeg: 12,
    shear: 0.3,
    aspect: 1.25,
    shift: 0.1,
  });
  drawGlyphs(ctx, [text], font, placement, { fill: ink, stroke: ink, strokeWidth: weight });
  const gray = toGray(maybeBlur(surface.pixels(), random, 0.4, 0.5));
  return quantizeWithNoise(gray, random.between(3, 14), random);
}

function drawRuling(ctx: Surface['ctx'], random: Random): void {
  const spacing = random.between(14, 22);
  ctx.strokeStyle = css(hsl(random.between(0.55, 0.65), 0.5, 0.55), random.between(0.3, 0.6));
  ctx.lineWidth = random.between(1, 2);
  for (let y = random.between(0, spacing); y < BIG; y += spacing) {
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(BIG, y + random.between(-2, 2));
    ctx.stroke();
  }
}

/** Hiragana as chalk on a dark board: light strokes, board texture, smudges and chalk dropout. */
export function renderKana({ surface, random, text, font }: RenderRequest): Uint8Array {
  const { ctx } = surface;
  surface.reset();
  const boardHues = [0.33, 0.4, 0.58, 0.62, 0.0, 0.08];
  const board = hsl(
    boardHues[random.int(boardHues.length)],
    random.between(0.2, 0.6),
    random.between(0.08, 0.28),
  );
  fillTexture(ctx, random, board, random.between(6, 20), 2 + random.int(4));
  const chalk = hsl(random.uniform(), random.between(0, 0.6), random.between(0.75, 0.95));
  drawRandomLines(ctx, random, 1 + random.int(3), () => chalk, random.between(0.06, 0.16));
  const placement = jitter(random, {
    size: [0.55, 0.85],
    rotationDeg: 12,
    shear: 0.2,
    aspect: 1.2,
    shift: 0.1,
  });
  drawGlyphs(ctx, [text], font, placement, {
    fill: chalk,
    stroke: chalk,
    strokeWidth: random.between(0, 3.5),
  });
  const planes = chalkDropout(surface.pixels(), board, random.between(0.02, 0.12), random);
  return quantizeWithNoise(planes, random.between(3, 10), random);
}

/** Replaces a random fraction of pixels by a blend towards the board colour (chalk that did not take). */
function chalkDropout(planes: Float32Array, board: Rgb, fraction: number, random: Random): Float32Array {
  const plane = SIDE * SIDE;
  for (let i = 0; i < plane; i++) {
    if (random.uniform() >= fraction) continue;
    const keep = random.between(0, 0.5);
    for (let c = 0; c < 3; c++) planes[c * plane + i] = keep * planes[c * plane + i] + (1 - keep) * board[c];
  }
  return planes;
}

const DIGITS = '0123456789';

/** SVHN-like: a digit on a textured wall or plate, partial neighbour digits, shadow, blur. */
export function renderHouseDigit({ surface, random, text, font }: RenderRequest): Uint8Array {
  const { ctx } = surface;
  surface.reset();
  const wall = hsl(random.uniform(), random.between(0.1, 0.6), random.between(0.2, 0.85));
  fillTexture(ctx, random, wall, random.between(15, 45), 2 + random.int(5));
  if (random.uniform() < 0.4) drawSiding(ctx, random, wall);
  let behind = wall;
  if (random.uniform() < 0.35) {
    behind = hsl(random.uniform(), random.between(0.1, 0.7), random.between(0.15, 0.9));
    drawPlate(ctx, random, behind);
  }
  const paint = contrasting(random, behind, 0.25, (r) =>
    hsl(r.uniform(), r.between(0.2, 1), r.between(0.05, 0.95)),
  );
  const neighbour = () => (random.uniform() < 0.8 ? DIGITS[random.int(10)] : ' ');
  const texts = [text, neighbour(), neighbour()];
  const placement = jitter(random, {
    size: [0.55, 0.8],
    rotationDeg: 8,
    shear: 0.2,
    aspect: 1.2,
    shift: 0.06,
  });
  const gap = random.between(0.08, 0.3);
  if (random.uniform() < 0.3) {
    const shadow: Rgb = [paint[0] * 0.3, paint[1] * 0.3, paint[2] * 0.3];
    const offset = { ...placement, dx: placement.dx + 0.03, dy: placement.dy + 0.03 };
    drawGlyphs(ctx, texts, font, offset, { fill: shadow }, gap);
  }
  drawGlyphs(ctx, texts, font, placement, { fill: paint }, gap);
  return quantizeWithNoise(maybeBlur(surface.pixels(), random, 0.6, 0.6), random.between(3, 10), random);
}

function drawSiding(ctx: Surface['ctx'], random: Random, wall: Rgb): void {
  const spacing = random.between(6, 12);
  const tone = random.uniform() < 0.5 ? 0.6 : 1.4;
  ctx.strokeStyle = css([wall[0] * tone, wall[1] * tone, wall[2] * tone], random.between(0.3, 0.6));
  ctx.lineWidth = random.between(1, 2.5);
  for (let y = random.between(0, spacing); y < BIG; y += spacing) {
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(BIG, y);
    ctx.stroke();
  }
}

function drawPlate(ctx: Surface['ctx'], random: Random, colour: Rgb): void {
  const width = random.between(0.7, 1.1) * BIG;
  const height = random.between(0.6, 0.95) * BIG;
  ctx.fillStyle = css(colour);
  ctx.beginPath();
  ctx.roundRect((BIG - width) / 2, (BIG - height) / 2, width, height, random.between(0, 8));
  ctx.fill();
}
