/**
 * The blocked SIMD entry kernel against the scalar reference, bit for bit: sizes across block and
 * 4-lane boundaries, 1 to 9 tasks (partial groups of four), values that sit exactly on thresholds,
 * zeros, −0 and exact cancellations, every merge function, both tie signs, negative λ; inputs read in
 * place from a kernel arena, mixed with inputs outside it.
 */
import { describe, expect, it } from 'vitest';
import {
  BLOCK,
  entryVotes,
  exactTrimBits,
  mergeEntries,
  type TaskDeltas,
} from '../../../src/merge/kernels/ties-entries.js';
import { MERGE_FUNCS } from '../../../src/merge/ties.js';
import { referenceTiesTensor, referenceVotes } from '../ties-reference.js';
import { inArena } from './arena.js';
import { bits, randomDeltas, recordInto } from './ties-cases.js';

describe('mergeEntries (blocked, WebAssembly SIMD sums)', () => {
  it('equals the scalar reference bit for bit', () => {
    let seed = 1;
    let onThreshold = 0;
    for (const n of [1, 3, 5, BLOCK, BLOCK + 3, 2 * BLOCK + 1]) {
      for (const taskCount of [1, 2, 4, 5, 9]) {
        for (const coarse of [true, false]) {
          const { pretrained, deltas, thresholds } = randomDeltas(seed++, n, taskCount, coarse);
          for (const merge_func of MERGE_FUNCS) {
            for (const [tie, lambda] of [
              [1, 0.3],
              [-1, -0.7],
            ] as const) {
              const out = new Float32Array(n);
              const options = { scaling_factor: lambda, merge_func, tie };
              mergeEntries(pretrained, deltas, exactTrimBits(thresholds), options, out);
              const expected = referenceTiesTensor(pretrained, deltas, thresholds, tie, options);
              expect(bits(out)).toEqual(bits(expected));
            }
          }
          expect(entryVotes(deltas, exactTrimBits(thresholds))).toBe(referenceVotes(deltas, thresholds));
          deltas.arrays.forEach((array, t) => {
            array.forEach((v, i) => {
              if (t > 0 && Math.abs(v - deltas.base[i]) === thresholds[t]) onThreshold++;
            });
          });
        }
      }
    }
    expect(onThreshold).toBeGreaterThan(100);
  });

  it('reads inputs in place from a kernel arena, mixed with copies, whatever lies past their ends', () => {
    let seed = 500;
    for (const n of [3, 4, BLOCK + 3, 2 * BLOCK + 4]) {
      for (const taskCount of [2, 5]) {
        const { pretrained, deltas, thresholds } = randomDeltas(seed++, n, taskCount, true);
        const [p, base, ...arrays] = inArena([pretrained, deltas.base, ...deltas.arrays], (k) => k !== 2);
        const placed = { base, arrays };
        expect(base.buffer).not.toBe(deltas.base.buffer);
        for (const merge_func of MERGE_FUNCS) {
          const out = new Float32Array(n);
          const options = { scaling_factor: 0.3, merge_func, tie: 1 as const };
          mergeEntries(p, placed, exactTrimBits(thresholds), options, out);
          expect(bits(out)).toEqual(bits(referenceTiesTensor(pretrained, deltas, thresholds, 1, options)));
        }
        expect(entryVotes(placed, exactTrimBits(thresholds))).toBe(referenceVotes(deltas, thresholds));
      }
    }
  });

  it('merges no task as θ0 + λ·0, whatever an earlier block left in the kernel', () => {
    const { pretrained, deltas, thresholds } = randomDeltas(3, 8, 3, true);
    mergeEntries(
      pretrained,
      deltas,
      exactTrimBits(thresholds),
      { scaling_factor: 1, merge_func: 'sum', tie: 1 },
      new Float32Array(8),
    );
    const out = new Float32Array(3);
    const none = { base: new Float32Array(3), arrays: [] };
    const votes = mergeEntries(
      Float32Array.of(1, -0, 2.5),
      none,
      exactTrimBits([]),
      { scaling_factor: 0.5, merge_func: 'sum', tie: 1 },
      out,
    );
    expect(Array.from(out)).toEqual([1, 0, 2.5]);
    expect(Object.is(out[1], 0)).toBe(true);
    expect(votes).toBe(0);
  });

  it("with the 'record' rule, records exactly the zero signs whose result depends on the sign", () => {
    for (const merge_func of MERGE_FUNCS) {
      const { pretrained, deltas, thresholds } = randomDeltas(77, BLOCK + 5, 6, true);
      const options = { scaling_factor: 0.5, merge_func };
      const up = referenceTiesTensor(pretrained, deltas, thresholds, 1, options);
      const down = referenceTiesTensor(pretrained, deltas, thresholds, -1, options);
      const out = new Float32Array(pretrained.length);
      const recorded: number[] = [];
      const votes = mergeEntries(
        pretrained,
        deltas,
        exactTrimBits(thresholds),
        { ...options, tie: 'record' },
        out,
        recordInto(recorded),
      );
      const differ = bits(up).flatMap((b, i) => (b === bits(down)[i] ? [] : [i]));
      expect(recorded).toEqual(differ);
      expect(recorded.length).toBeGreaterThan(0);
      const recordedSet = new Set(recorded);
      const decided = (values: Float32Array) =>
        bits(values).map((b, i) => (recordedSet.has(i) ? bits(pretrained)[i] : b));
      expect(bits(out)).toEqual(decided(up));
      expect(votes).toBe(referenceVotes(deltas, thresholds));
    }
  });

  it('records every entry with a magnitude between its low and high bound', () => {
    const deltas: TaskDeltas = {
      base: new Float32Array(6),
      arrays: [
        Float32Array.from([0.1, 0.25, 0.3, 0.5, -0.25, 0.7]),
        Float32Array.from([0, 0, 0, 0, 0, 0.26]),
      ],
    };
    const low = new Float32Array([0.25, 1]);
    const high = new Float32Array([0.5, 1]);
    const trim = { lowBits: new Int32Array(low.buffer), highBits: new Int32Array(high.buffer) };
    const recorded: number[] = [];
    const out = new Float32Array(6);
    const options = { scaling_factor: 1, merge_func: 'sum' as const, tie: 'record' as const };
    const votes = mergeEntries(new Float32Array(6), deltas, trim, options, out, recordInto(recorded));
    // 0.25, 0.3, −0.25 (task 0) are undecided; 0.1 trimmed; 0.5 and 0.7 kept; task 1 trimmed (< 1).
    expect(recorded).toEqual([1, 2, 4]);
    expect(Array.from(out)).toEqual([0, 0, 0, 0.5, 0, Math.fround(0.7)]);
    expect(votes).toBe(2);
  });
});
