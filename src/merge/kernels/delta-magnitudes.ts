/**
 * The counting passes of Ties' global trim over τt = float32(arrays[t] − base), without materializing τ:
 * a block of each task's τ at a time goes through a small buffer (it stays in L1) whose int32 view the
 * MagnitudeSelector of that task counts. Reading each model's tensor once as a stream, rather than
 * writing T task vectors and reading them back, halves the memory traffic of the pass.
 */
import type { MagnitudeSelector } from '../magnitude-select.js';
import type { TaskDeltas } from './ties-entries.js';

const BLOCK = 4096;
const difference = new Float32Array(BLOCK);
const differenceBits = new Int32Array(difference.buffer);

/** Runs `count(t, bits, n)` on every block of τt's bit patterns, block by block, task by task. */
function forEachDeltaBlock(
  { base, arrays }: TaskDeltas,
  count: (t: number, bits: Int32Array, n: number) => void,
): void {
  for (let start = 0; start < base.length; start += BLOCK) {
    const n = Math.min(BLOCK, base.length - start);
    for (let t = 0; t < arrays.length; t++) {
      const array = arrays[t];
      for (let j = 0; j < n; j++) difference[j] = array[start + j] - base[start + j];
      count(t, differenceBits, n);
    }
  }
}

/** Pass 0 (coarse counts) of every task; returns the first task whose τ holds NaN or ±Inf, or −1. */
export function countDeltaMagnitudes(deltas: TaskDeltas, selectors: readonly MagnitudeSelector[]): number {
  forEachDeltaBlock(deltas, (t, bits, n) => selectors[t].countCoarseBits(bits, n));
  let bad = -1;
  selectors.forEach((selector, t) => {
    if (selector.takeNonFinite() > 0 && bad < 0) bad = t;
  });
  return bad;
}

/** Pass 1 (fine counts in each task's selected bucket). */
export function countDeltaFine(deltas: TaskDeltas, selectors: readonly MagnitudeSelector[]): void {
  forEachDeltaBlock(deltas, (t, bits, n) => selectors[t].countFineBits(bits, n));
}
