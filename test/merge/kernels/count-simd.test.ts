/**
 * The counting kernel of Ties' pass 0 against a scalar histogram of the materialized τ: odd lengths and
 * starts, inputs in a kernel arena (read in place) mixed with inputs outside it, −0, NaN, ±Inf and
 * differences that overflow float32.
 */
import { describe, expect, it } from 'vitest';
import { countDeltaPairSimd, MIN_COUNTED } from '../../../src/merge/kernels/count-simd.js';
import { mulberry32 } from '../memory.js';
import { inArena } from './arena.js';

const BUCKETS = 1 << 15;
const NON_FINITE = 0x7f80;

/** Per bucket of |τ|'s high 16 bits, the count over [start, stop); NaNs all in one bucket (payloads vary). */
function scalarHistogram(array: Float32Array, base: Float32Array, start: number, stop: number): number[] {
  const tau = new Float32Array(1);
  const bits = new Int32Array(tau.buffer);
  const counts = new Array<number>(BUCKETS).fill(0);
  for (let i = start; i < stop; i++) {
    tau[0] = array[i] - base[i];
    counts[Number.isNaN(tau[0]) ? NON_FINITE + 1 : (bits[0] & 0x7fffffff) >>> 16]++;
  }
  return counts;
}

/** The first BUCKETS lanes, the NaN buckets gathered as in scalarHistogram. */
function gathered(lanes: Int32Array): number[] {
  const counts = Array.from(lanes.subarray(0, BUCKETS));
  for (let b = NON_FINITE + 2; b < BUCKETS; b++) {
    counts[NON_FINITE + 1] += counts[b];
    counts[b] = 0;
  }
  return counts;
}

function randomArrays(seed: number, n: number) {
  const random = mulberry32(seed);
  const value = () => {
    const r = random() + 0.5;
    if (r < 0.1) return r < 0.05 ? -0 : 0;
    if (r < 0.102)
      return [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][Math.floor(r * 1e4) % 3];
    if (r < 0.11) return (random() < 0 ? -3e38 : 3e38) * (1 + random() * 0.1);
    return random() * 2 ** (Math.floor((random() + 0.5) * 30) - 15);
  };
  return [0, 1, 2].map(() => Float32Array.from({ length: n }, value));
}

describe('countDeltaPairSimd', () => {
  it('adds the histograms of both τ to the lanes, whatever memory the inputs lie in', () => {
    let seed = 1;
    for (const n of [MIN_COUNTED + 3, MIN_COUNTED + 6, 2 * 4096 * 3 + 7]) {
      for (const start of [0, 3]) {
        for (const placement of [() => false, () => true, (k: number) => k !== 1]) {
          const [first, second, base] = randomArrays(seed++, n);
          const [f, s, b] = inArena([first, second, base], placement);
          const firstLanes = new Int32Array(2 * BUCKETS).fill(2);
          const secondLanes = new Int32Array(2 * BUCKETS);
          const stop = countDeltaPairSimd(f, s, b, start, n, firstLanes, secondLanes);
          expect(stop).toBe(start + ((n - start) & ~3));
          const expectedFirst = new Int32Array(2 * BUCKETS).fill(2);
          scalarHistogram(first, base, start, stop).forEach((count, bucket) => {
            expectedFirst[bucket] += count;
          });
          expect(gathered(firstLanes)).toEqual(gathered(expectedFirst));
          expect(gathered(secondLanes)).toEqual(scalarHistogram(second, base, start, stop));
          expect(Array.from(secondLanes.subarray(BUCKETS)).every((c) => c === 0)).toBe(true);
        }
      }
    }
  });

  it('counts afresh on each call (its own histograms are emptied) and leaves short ranges to the caller', () => {
    const [first, second, base] = randomArrays(9, MIN_COUNTED + 8);
    const lanes = [new Int32Array(2 * BUCKETS), new Int32Array(2 * BUCKETS)];
    countDeltaPairSimd(first, second, base, 0, first.length, lanes[0], lanes[1]);
    const once = Array.from(lanes[0]);
    countDeltaPairSimd(first, second, base, 0, first.length, lanes[0], lanes[1]);
    expect(Array.from(lanes[0])).toEqual(once.map((c) => 2 * c));
    const untouched = new Int32Array(2 * BUCKETS);
    expect(countDeltaPairSimd(first, second, base, 9, first.length, untouched, untouched)).toBe(9);
    expect(untouched.every((c) => c === 0)).toBe(true);
  });
});
