/** Shape arithmetic with symbolic dimensions: broadcasting, axes, printing. */
import { WemoeError } from '../errors.js';
import type { Dim, Shape } from './types.js';

export function shapeText(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Numpy-style broadcast of two shapes; a symbol meets a size as that size, 1 meets anything as it. */
export function broadcastShapes(op: string, a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    out.push(broadcastDim(op, da, db, a, b));
  }
  return out;
}

function broadcastDim(op: string, da: Dim, db: Dim, a: Shape, b: Shape): Dim {
  if (da === db || db === 1) return da;
  if (da === 1) return db;
  if (typeof da === 'string' && typeof db === 'number') return db;
  if (typeof db === 'string' && typeof da === 'number') return da;
  throw new WemoeError(`${op}: shapes ${shapeText(a)} and ${shapeText(b)} do not broadcast`);
}

/** An axis in [-rank, rank) as a non-negative index. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new WemoeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Product of the dims when all are sizes; undefined when a symbol is involved. */
export function staticNumel(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** Row-major strides of a concrete shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
