/**
 * The counting passes of Ties' global trim over τt = float32(arrays[t] − base), without materializing τ:
 * each task's MagnitudeSelector counts the differences as they are read, two tasks per sweep.
 */
import { MagnitudeSelector } from '../magnitude-select.js';
import type { TaskDeltas } from './ties-entries.js';

/** Pass 0 (coarse counts) of every task; returns the first task whose τ holds NaN or ±Inf, or −1. */
export function countDeltaMagnitudes(
  { base, arrays }: TaskDeltas,
  selectors: readonly MagnitudeSelector[],
): number {
  MagnitudeSelector.countCoarseDeltas(selectors, arrays, base);
  const nonFinite = arrays.map((_, t) => selectors[t].takeNonFinite());
  return nonFinite.findIndex((count) => count > 0);
}

/** Pass 1 (fine counts in each task's selected bucket). */
export function countDeltaFine({ base, arrays }: TaskDeltas, selectors: readonly MagnitudeSelector[]): void {
  arrays.forEach((array, t) => {
    selectors[t].countFineDeltas(array, base);
  });
}
