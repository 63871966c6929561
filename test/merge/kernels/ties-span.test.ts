/**
 * The in-place span path of the Ties entry kernel (WebAssembly loops over whole spans, shared with a
 * worker thread when long) against the block path (inputs outside any arena), bit for bit: merged values,
 * votes and records (indices and τ), at odd lengths, across the worker's threshold, 1 to 9 tasks, every
 * merge function and tie rule, undecided entries, NaN and ±Inf inputs; the fallbacks (no room, an input
 * outside the arena), a dead worker (an error), and the worker's end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelArena } from '../../../src/merge/kernels/kernel-memory.js';
import {
  BLOCK,
  type EntryMerge,
  type EntryRecords,
  exactTrimBits,
  mergeEntries,
  type TaskDeltas,
  type TrimBits,
} from '../../../src/merge/kernels/ties-entries.js';
import {
  closeSpanWorker,
  liveSpanWorkers,
  SHARED_SPAN_MIN,
  setSpanWorkerStall,
  spanWorkBytes,
  spanWorkerOf,
} from '../../../src/merge/kernels/ties-span.js';
import { MERGE_FUNCS } from '../../../src/merge/ties.js';
import { placeInArena } from './arena.js';
import { bits, randomDeltas } from './ties-cases.js';

/** Every record as [index, τ bits…], whichever way it came. */
function fullRecords(deltas: TaskDeltas, into: number[][]): EntryRecords {
  return {
    one(i) {
      const taus = Float32Array.from(deltas.arrays, (a) => a[i] - deltas.base[i]);
      into.push([i, ...bits(taus)]);
    },
    many(words, count) {
      const u = new Uint32Array(words.buffer, words.byteOffset, words.length);
      const width = words.length / count;
      for (let r = 0; r < count; r++) into.push(Array.from(u.subarray(r * width, (r + 1) * width)));
    },
  };
}

interface Case {
  pretrained: Float32Array;
  deltas: TaskDeltas;
  trim: TrimBits;
}

/** Exact thresholds, or for `undecided` a band [threshold, 1.5·threshold) per task that stays undecided. */
function trimOf(thresholds: number[], undecided: boolean): TrimBits {
  if (!undecided) return exactTrimBits(thresholds);
  const low = Float32Array.from(thresholds);
  const high = Float32Array.from(thresholds, (v) => v * 1.5);
  return { lowBits: new Int32Array(low.buffer), highBits: new Int32Array(high.buffer) };
}

function run(c: Case, options: EntryMerge, out: Float32Array) {
  const records: number[][] = [];
  const votes = mergeEntries(c.pretrained, c.deltas, c.trim, options, out, fullRecords(c.deltas, records));
  return { out: bits(out), votes, records };
}

const arenas: KernelArena[] = [];

/** The case's inputs in an arena with room for spans (or `workBytes`). */
function placed(c: Case, workBytes = spanWorkBytes(c.pretrained.length, c.deltas.arrays.length)): Case {
  const { arena, placed } = placeInArena(
    [c.pretrained, c.deltas.base, ...c.deltas.arrays],
    () => true,
    workBytes,
  );
  arenas.push(arena);
  const [pretrained, base, ...arrays] = placed;
  return { pretrained, deltas: { base, arrays }, trim: c.trim };
}

afterEach(() => {
  for (const arena of arenas.splice(0)) closeSpanWorker(arena);
});

const TIES = [1, -1, 'record'] as const;

function expectSame(c: Case, inPlace: Case, lambda = 0.3) {
  for (const merge_func of MERGE_FUNCS) {
    for (const tie of TIES) {
      const options = { scaling_factor: tie === -1 ? -lambda : lambda, merge_func, tie };
      const n = c.pretrained.length;
      const expected = run(c, options, new Float32Array(n));
      expect(run(inPlace, options, new Float32Array(n))).toEqual(expected);
    }
  }
}

describe('Ties spans in place', () => {
  it('equal the block path bit for bit: values, votes, records', () => {
    let seed = 900;
    for (const n of [1, 3, 4, 7, BLOCK + 2, 3 * BLOCK + 5]) {
      for (const taskCount of [1, 4, 5, 9]) {
        for (const coarse of [true, false]) {
          const { pretrained, deltas, thresholds } = randomDeltas(seed++, n, taskCount, coarse);
          const c = { pretrained, deltas, trim: trimOf(thresholds, seed % 2 === 0) };
          expectSame(c, placed(c));
        }
      }
    }
  });

  it('share long spans with a worker thread, with the same results', () => {
    for (const [n, taskCount, coarse] of [
      [SHARED_SPAN_MIN + 5, 2, true],
      [2 * SHARED_SPAN_MIN + 2, 9, false],
    ] as const) {
      const { pretrained, deltas, thresholds } = randomDeltas(n, n, taskCount, coarse);
      const c = { pretrained, deltas, trim: trimOf(thresholds, coarse) };
      const inPlace = placed(c);
      expectSame(c, inPlace);
      expect(spanWorkerOf(arenas[arenas.length - 1])).toBeDefined();
    }
  });

  it('merge NaN and ±Inf inputs as the block path does', () => {
    const { pretrained, deltas, thresholds } = randomDeltas(5, SHARED_SPAN_MIN + 9, 3, false);
    [7, 100, SHARED_SPAN_MIN + 1].forEach((i, k) => {
      deltas.arrays[k % 3][i] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][k];
    });
    deltas.base[50] = Number.NaN;
    pretrained[SHARED_SPAN_MIN + 8] = Number.POSITIVE_INFINITY;
    const c = { pretrained, deltas, trim: trimOf(thresholds, true) };
    expectSame(c, placed(c));
  });

  it('write straight into an output that lies in the arena', () => {
    const n = SHARED_SPAN_MIN + 3;
    const { pretrained, deltas, thresholds } = randomDeltas(8, n, 4, true);
    const c = { pretrained, deltas, trim: trimOf(thresholds, false) };
    const inPlace = placed(c);
    const options = { scaling_factor: 0.4, merge_func: 'sum' as const, tie: 'record' as const };
    const arena = arenas[0];
    const out = new Float32Array(arena.buffer, arena.work.offset, n);
    expect(run(inPlace, options, out)).toEqual(run(c, options, new Float32Array(n)));
  });

  it('fall back to the block path without room for the tensor or with an input outside the arena', () => {
    const { pretrained, deltas, thresholds } = randomDeltas(9, BLOCK + 1, 3, true);
    const c = { pretrained, deltas, trim: trimOf(thresholds, true) };
    expectSame(c, placed(c, spanWorkBytes(BLOCK, 3)));
    const mixed = placed(c);
    expectSame(c, {
      ...mixed,
      deltas: { base: mixed.deltas.base, arrays: [deltas.arrays[0], ...mixed.deltas.arrays.slice(1)] },
    });
  });

  it('fail with one line when the worker dies, and run alone on this thread after', async () => {
    const { pretrained, deltas, thresholds } = randomDeltas(10, SHARED_SPAN_MIN + 1, 5, true);
    const c = { pretrained, deltas, trim: trimOf(thresholds, true) };
    const inPlace = placed(c);
    const options = { scaling_factor: 0.3, merge_func: 'mean' as const, tie: 'record' as const };
    const expected = run(c, options, new Float32Array(pretrained.length));
    expect(run(inPlace, options, new Float32Array(pretrained.length))).toEqual(expected);
    setSpanWorkerStall(arenas[0], 200);
    await spanWorkerOf(arenas[0])!.terminate();
    expect(() => run(inPlace, options, new Float32Array(pretrained.length))).toThrow(
      /^merge: the kernel worker thread stopped answering; the merge was abandoned$/,
    );
    expect(run(inPlace, options, new Float32Array(pretrained.length))).toEqual(expected);
  });

  it('leave no worker running once the arena is closed', async () => {
    const { pretrained, deltas, thresholds } = randomDeltas(11, SHARED_SPAN_MIN, 2, false);
    const c = { pretrained, deltas, trim: trimOf(thresholds, false) };
    run(placed(c), { scaling_factor: 0.3, merge_func: 'sum', tie: 1 }, new Float32Array(SHARED_SPAN_MIN));
    expect(liveSpanWorkers()).toBeGreaterThan(0);
    closeSpanWorker(arenas[0]);
    for (let wait = 0; wait < 100 && liveSpanWorkers() > 0; wait++)
      await new Promise((r) => setTimeout(r, 20));
    expect(liveSpanWorkers()).toBe(0);
  });
});
