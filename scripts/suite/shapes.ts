/**
 * The `shapes` task: twelve geometric shapes drawn with the canvas path API (no fonts), in varied
 * fill styles, over a cluttered background with an occasional small distractor shape.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import type { Random } from '../../src/data/random.js';
import {
  BIG,
  contrasting,
  css,
  drawRandomLines,
  enterPlacement,
  fillLinearGradient,
  hsl,
  jitter,
  type Placement,
  type Rgb,
  type Surface,
} from './paint.js';
import { quantizeWithNoise } from './raster.js';

type PathBuilder = (ctx: SKRSContext2D) => void;

function polygon(points: readonly (readonly [number, number])[]): PathBuilder {
  return (ctx) => {
    ctx.moveTo(points[0][0], points[0][1]);
    for (const [x, y] of points.slice(1)) ctx.lineTo(x, y);
    ctx.closePath();
  };
}

function regular(sides: number, inner?: number): PathBuilder {
  const count = inner === undefined ? sides : 2 * sides;
  const points = Array.from({ length: count }, (_, k) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * k) / count;
    const radius = inner !== undefined && k % 2 === 1 ? inner : 1;
    return [radius * Math.cos(angle), radius * Math.sin(angle)] as const;
  });
  return polygon(points);
}

/** Outer unit circle minus a circle of radius r centred at (d, 0): the arcs meet where both circles cross. */
function crescent(r: number, d: number): PathBuilder {
  const x = (1 - r * r + d * d) / (2 * d);
  const y = Math.sqrt(1 - x * x);
  return (ctx) => {
    ctx.arc(0, 0, 1, Math.atan2(y, x), Math.atan2(-y, x) + 2 * Math.PI);
    ctx.arc(d, 0, r, Math.atan2(-y, x - d), Math.atan2(y, x - d), true);
    ctx.closePath();
  };
}

/** Unit-scale paths in [-1, 1]² (y down), one per class, in class order. */
const SHAPES: Record<string, PathBuilder> = {
  circle: (ctx) => ctx.arc(0, 0, 1, 0, 2 * Math.PI),
  triangle: regular(3),
  square: polygon([
    [-0.85, -0.85],
    [0.85, -0.85],
    [0.85, 0.85],
    [-0.85, 0.85],
  ]),
  pentagon: regular(5),
  hexagon: regular(6),
  star: regular(5, 0.42),
  cross: polygon(
    [
      [-0.3, -1],
      [0.3, -1],
      [0.3, -0.3],
      [1, -0.3],
      [1, 0.3],
      [0.3, 0.3],
      [0.3, 1],
      [-0.3, 1],
      [-0.3, 0.3],
      [-1, 0.3],
      [-1, -0.3],
      [-0.3, -0.3],
    ].map(([x, y]) => [x, y] as const),
  ),
  arrow: polygon([
    [-1, -0.25],
    [0.2, -0.25],
    [0.2, -0.65],
    [1, 0],
    [0.2, 0.65],
    [0.2, 0.25],
    [-1, 0.25],
  ]),
  heart: (ctx) => {
    ctx.moveTo(0, 0.9);
    ctx.bezierCurveTo(-1.3, 0, -0.9, -1.05, 0, -0.45);
    ctx.bezierCurveTo(0.9, -1.05, 1.3, 0, 0, 0.9);
    ctx.closePath();
  },
  crescent: crescent(0.8, 0.5),
  bolt: polygon([
    [0.15, -1],
    [-0.6, 0.15],
    [-0.05, 0.15],
    [-0.3, 1],
    [0.6, -0.2],
    [0.05, -0.2],
    [0.35, -1],
  ]),
  drop: (ctx) => {
    ctx.moveTo(0, -1);
    ctx.bezierCurveTo(0.35, -0.45, 0.75, -0.05, 0.75, 0.3);
    ctx.arc(0, 0.3, 0.75, 0, Math.PI);
    ctx.bezierCurveTo(-0.75, -0.05, -0.35, -0.45, 0, -1);
    ctx.closePath();
  },
};

export const SHAPE_CLASSES = Object.keys(SHAPES);

interface ShapeStyle {
  fill?: string | CanvasGradientLike;
  stroke?: Rgb;
  strokeWidth: number;
}
type CanvasGradientLike = ReturnType<SKRSContext2D['createLinearGradient']>;

function drawShape(ctx: SKRSContext2D, name: string, p: Placement, style: ShapeStyle): void {
  const scale = (p.size * BIG) / 2;
  ctx.save();
  enterPlacement(ctx, p, scale);
  ctx.beginPath();
  SHAPES[name](ctx);
  if (style.fill) {
    ctx.fillStyle = style.fill;
    ctx.fill();
  }
  if (style.stroke) {
    ctx.lineJoin = 'round';
    ctx.lineWidth = style.strokeWidth / scale;
    ctx.strokeStyle = css(style.stroke);
    ctx.stroke();
  }
  ctx.restore();
}

/** Solid, outline, solid with a dark rim, or a two-hue gradient fill (in unit coordinates). */
function pickStyle(ctx: SKRSContext2D, random: Random, colour: Rgb): ShapeStyle {
  const kind = random.int(4);
  const strokeWidth = random.between(2.5, 6);
  if (kind === 0) return { fill: css(colour), strokeWidth };
  if (kind === 1) return { stroke: colour, strokeWidth };
  if (kind === 2)
    return { fill: css(colour), stroke: [colour[0] * 0.3, colour[1] * 0.3, colour[2] * 0.3], strokeWidth };
  const gradient = ctx.createLinearGradient(-1, -1, 1, 1);
  gradient.addColorStop(0, css(colour));
  gradient.addColorStop(1, css(hsl(random.uniform(), 0.8, 0.45)));
  return { fill: gradient, strokeWidth };
}

export function renderShape(surface: Surface, random: Random, name: string): Uint8Array {
  const { ctx } = surface;
  surface.reset();
  const from = hsl(random.uniform(), random.between(0.1, 0.5), random.between(0.55, 0.95));
  const to = hsl(random.uniform(), random.between(0.1, 0.5), random.between(0.55, 0.95));
  fillLinearGradient(ctx, from, to, random.between(0, 2 * Math.PI));
  const saturated = (r: Random) => hsl(r.uniform(), r.between(0.5, 1), r.between(0.2, 0.6));
  drawRandomLines(ctx, random, 3 + random.int(6), () => saturated(random), random.between(0.25, 0.5));
  if (random.uniform() < 0.35) {
    const other = SHAPE_CLASSES[random.int(SHAPE_CLASSES.length)];
    const corner = jitter(random, { size: [0.15, 0.25], rotationDeg: 30, shear: 0.1, aspect: 1.2, shift: 0 });
    corner.dx = random.uniform() < 0.5 ? -0.36 : 0.36;
    corner.dy = random.uniform() < 0.5 ? -0.36 : 0.36;
    drawShape(ctx, other, corner, { fill: css(saturated(random)), strokeWidth: 0 });
  }
  const middle: Rgb = [(from[0] + to[0]) / 2, (from[1] + to[1]) / 2, (from[2] + to[2]) / 2];
  const colour = contrasting(random, middle, 0.2, saturated);
  const placement = jitter(random, {
    size: [0.5, 0.8],
    rotationDeg: 15,
    shear: 0.15,
    aspect: 1.25,
    shift: 0.1,
  });
  drawShape(ctx, name, placement, pickStyle(ctx, random, colour));
  return quantizeWithNoise(surface.pixels(), random.between(3, 10), random);
}
