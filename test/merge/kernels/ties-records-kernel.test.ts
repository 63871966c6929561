/**
 * The records function of the Ties kernel (one record at a time, scalar WebAssembly) against the SIMD
 * entry kernel on the same entries laid out per task, bit for bit: the votes under exact thresholds, and
 * the finalized values for every merge function and both tie signs, over records read in pieces; and the
 * fine counts spans keep of the records they write.
 */
import { describe, expect, it } from 'vitest';
import { createKernelArena } from '../../../src/merge/kernels/kernel-memory.js';
import {
  entryVotes,
  exactTrimBits,
  mergeEntries,
  type TaskDeltas,
} from '../../../src/merge/kernels/ties-entries.js';
import { recordBytes } from '../../../src/merge/kernels/ties-layout.js';
import {
  finalizeRecords,
  hasNonFinite,
  recordsMemory,
  recordVotes,
} from '../../../src/merge/kernels/ties-records-kernel.js';
import { boundaryCounts, MODES, spanWorkBytes } from '../../../src/merge/kernels/ties-span.js';
import { MERGE_FUNCS } from '../../../src/merge/ties.js';
import { mulberry32 } from '../memory.js';
import { placeInArena } from './arena.js';
import { bits, randomDeltas } from './ties-cases.js';

/** `count` records of T tasks at indices 0, 3, 6, …: coarse τ (zeros, −0, cancellations) and their SoA form. */
function randomRecords(seed: number, count: number, tasks: number) {
  const random = mulberry32(seed);
  const records = new Float32Array(count * (1 + tasks));
  const index = new Uint32Array(records.buffer);
  const taus = Array.from({ length: tasks }, () => new Float32Array(count));
  for (let r = 0; r < count; r++) {
    index[r * (1 + tasks)] = 3 * r;
    for (let t = 0; t < tasks; t++) {
      const u = random();
      const tau = u < -0.4 ? -0 : Math.round(u * 8) / 4;
      records[r * (1 + tasks) + 1 + t] = tau;
      taus[t][r] = tau;
    }
  }
  const thresholds = Array.from({ length: tasks }, (_, t) => (t === 0 ? 0 : 0.25 * (t % 3)));
  return { records, deltas: { base: new Float32Array(count), arrays: taus } as TaskDeltas, thresholds };
}

describe('Ties over records', () => {
  it('votes and finalizes as the entry kernel does, bit for bit', () => {
    for (const [tasks, count] of [
      [1, 50],
      [3, 1000],
      [8, 333],
    ]) {
      const { records, deltas, thresholds } = randomRecords(tasks, count, tasks);
      const trim = exactTrimBits(thresholds);
      // A work region of 7 records: the records are read in pieces.
      const arena = createKernelArena(64, 7 * recordBytes(tasks), 4 * 3 * count);
      const memory = recordsMemory(arena.buffer, tasks)!;
      const merge = { thresholdBits: trim.highBits, mode: 0, lambda: 0, tie: 1 };
      expect(recordVotes(memory, records, count, merge)).toBe(entryVotes(deltas, trim));
      const random = mulberry32(tasks + 100);
      const theta = Float32Array.from({ length: count }, () => random());
      for (const merge_func of MERGE_FUNCS) {
        for (const [tie, lambda] of [
          [1, 0.3],
          [-1, -0.7],
        ] as const) {
          const expected = new Float32Array(count);
          mergeEntries(theta, deltas, trim, { scaling_factor: lambda, merge_func, tie }, expected);
          const values = new Float32Array(arena.buffer, arena.held.offset, 3 * count);
          values.fill(Number.NaN);
          theta.forEach((v, r) => {
            values[3 * r] = v;
          });
          finalizeRecords(values, records, count, { ...merge, mode: MODES[merge_func], lambda, tie });
          expect(bits(Float32Array.from(expected))).toEqual(bits(values.filter((_, i) => i % 3 === 0)));
          expect(values.filter((_, i) => i % 3 !== 0).every(Number.isNaN)).toBe(true);
        }
      }
    }
  });

  it('has the spans count the boundary magnitudes of the records they write', () => {
    const n = 4 * 1024 + 8;
    const { pretrained, deltas, thresholds } = randomDeltas(42, n, 3, false);
    const low = Float32Array.from(thresholds);
    const high = Float32Array.from(thresholds, (v) => v * 1.5);
    const lowBits = new Int32Array(low.buffer);
    const buckets = Int32Array.from(lowBits, (b) => b >>> 16);
    const trim = { lowBits, highBits: new Int32Array(high.buffer), buckets };
    const { arena, placed } = placeInArena(
      [pretrained, deltas.base, ...deltas.arrays],
      () => true,
      spanWorkBytes(n, 3),
    );
    const [p, base, ...arrays] = placed;
    const seen: number[] = [];
    const records = {
      one: () => {
        throw new Error('every entry lies in the span');
      },
      many(words: Float32Array, count: number) {
        seen.push(...new Int32Array(words.buffer, words.byteOffset, count * 4));
      },
    };
    const options = { scaling_factor: 0.3, merge_func: 'sum' as const, tie: 'record' as const };
    mergeEntries(p, { base, arrays }, trim, options, new Float32Array(n), records);
    const expected = new Int32Array(3 << 16);
    for (let at = 0; at < seen.length; at += 4) {
      for (let t = 0; t < 3; t++) {
        const magnitude = seen[at + 1 + t] & 0x7fffffff;
        if (magnitude >>> 16 === buckets[t]) expected[(t << 16) + (magnitude & 0xffff)]++;
      }
    }
    expect(expected.reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    expect(boundaryCounts(recordsMemory(arena.buffer, 3)!, 3)).toEqual(expected);
    expect(boundaryCounts(recordsMemory(arena.buffer, 3)!, 3).every((c) => c === 0)).toBe(true);
  });
});

describe('hasNonFinite (WebAssembly SIMD)', () => {
  it('finds one NaN or ±Inf at any position, in the four-wide part and in the tail', () => {
    const arena = createKernelArena(64, 0, 4 * 64);
    for (const n of [0, 1, 3, 4, 5, 16, 17, 37, 64]) {
      const values = new Float32Array(arena.buffer, arena.held.offset, n);
      values.fill(3.4e38);
      expect(hasNonFinite(values)).toBe(false);
      for (let i = 0; i < n; i++) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          values[i] = bad;
          expect(hasNonFinite(values)).toBe(true);
          values[i] = -3.4e38;
        }
      }
    }
  });
});
