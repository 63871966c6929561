/**
 * The streaming global Ties (two reads, provisional entries resolved from records, the blocked entry
 * kernel) against the in-memory computation it replaced: exact thresholds by selection over the
 * flattened task vectors, the majority and the merge by the scalar reference kernel (ties-reference.ts).
 * Results must match bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { kthSmallestMagnitude } from '../../src/merge/magnitude-select.js';
import { MERGE_FUNCS, type MergeFunc, majoritySign, tiesMethod, trimRank } from '../../src/merge/ties.js';
import { GlobalTrimPlanner } from '../../src/merge/ties-global.js';
import { mergeInMemory, mulberry32, type StateDict } from './memory.js';
import { referenceTiesTensor, referenceVotes } from './ties-reference.js';

interface Case {
  readonly pretrained: StateDict;
  readonly experts: StateDict[];
}

/** Values with repeated magnitudes, exact cancellations, zeros and −0 when `coarse`; continuous otherwise. */
function randomCase(seed: number, coarse: boolean, taskCount: number): Case {
  const random = mulberry32(seed);
  const sizes = { 'b.weight': 45, 'a.bias': 6, 'c.weight': 70, 'd.scalar': 1 };
  const pretrained: StateDict = {};
  const experts: StateDict[] = Array.from({ length: taskCount }, () => ({}));
  for (const [name, n] of Object.entries(sizes)) {
    const base = Array.from({ length: n }, () => (random() > 0.4 ? -0 : Math.fround(random())));
    pretrained[name] = { shape: [n], values: base };
    experts.forEach((expert, t) => {
      // Multiples of 1/4 keep exact cancellations; the lean makes both majorities occur across seeds.
      const shift = t % 2 === 1 ? 0 : seed % 2 === 0 ? -0.25 : 0.25;
      const values = base.map((b) => {
        const v = coarse ? Math.round(random() * 6) / 4 + shift : random() * 1e-2;
        return Math.fround(b + v);
      });
      expert[name] = { shape: [n], values };
    });
  }
  return { pretrained, experts };
}

const flatten = (dict: StateDict) =>
  Float32Array.from(
    Object.keys(dict)
      .sort()
      .flatMap((name) => dict[name].values),
  );

/** The computation the streaming merge replaced, on the flattened models (sorted key order). */
function replacedTies(c: Case, k: number, lambda: number, func: MergeFunc): Float32Array {
  const base = flatten(c.pretrained);
  const arrays = c.experts.map(flatten);
  const taus = arrays.map((a) => Float32Array.from(a, (v, i) => v - base[i]));
  const kth = trimRank(base.length, k);
  const thresholds = taus.map((tau) => kthSmallestMagnitude(tau, kth));
  const majority = majoritySign(referenceVotes({ base, arrays }, thresholds));
  return referenceTiesTensor(base, { base, arrays }, thresholds, majority, {
    scaling_factor: lambda,
    merge_func: func,
  });
}

function streamedTies(c: Case, k: number, lambda: number, func: MergeFunc): Float32Array {
  const experts = Object.fromEntries(c.experts.map((e, t) => [`task${t}`, e]));
  const out = mergeInMemory(
    tiesMethod,
    { threshold: k, scaling_factor: lambda, merge_func: func },
    c.pretrained,
    experts,
  );
  return flatten(
    Object.fromEntries(Object.entries(out).map(([name, values]) => [name, { shape: [], values }])),
  );
}

/** The planner driven by hand: records or a fine pass, records in memory or spilled to disk. */
function plannedTies(
  c: Case,
  k: number,
  lambda: number,
  func: MergeFunc,
  maxBoundary: number,
  chunk: number,
  recordsInMemory: number,
) {
  const names = Object.keys(c.pretrained).sort();
  const tensors = names.map((name) => ({
    pre: Float32Array.from(c.pretrained[name].values),
    experts: c.experts.map((e) => Float32Array.from(e[name].values)),
  }));
  const d = tensors.reduce((sum, t) => sum + t.pre.length, 0);
  const planner = new GlobalTrimPlanner(
    c.experts.length,
    trimRank(d, k),
    maxBoundary,
    chunk,
    recordsInMemory,
  );
  const params = { scaling_factor: lambda, merge_func: func };
  for (let pass = 0; planner.wantsPass(pass); pass++) {
    for (const { pre, experts } of tensors) {
      if (pass === 0) planner.countMagnitudes({ base: pre, arrays: experts });
      else planner.countFine({ base: pre, arrays: experts });
    }
    planner.endPass(pass);
  }
  const outs = tensors.map(({ pre, experts }) =>
    planner.mergeProvisional(pre, { base: pre, arrays: experts }, params).slice(),
  );
  planner.finishMerge();
  for (const out of outs) planner.finalize(out, params);
  planner.dispose();
  const flat = new Float32Array(d);
  let offset = 0;
  for (const out of outs) {
    flat.set(out, offset);
    offset += out.length;
  }
  return { values: flat, majority: planner.majority };
}

const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer));

describe('streaming global ties equals the computation it replaced, bit for bit', () => {
  for (const coarse of [true, false]) {
    it(`through streamMerge on ${coarse ? 'coarse' : 'continuous'} random models`, () => {
      for (let seed = 1; seed <= 6; seed++) {
        const c = randomCase(seed * (coarse ? 31 : 37), coarse, 1 + (seed % 4));
        for (const func of MERGE_FUNCS) {
          for (const [k, lambda] of [
            [20, 0.3],
            [37.5, -0.7],
            [100, 1],
            [0, 0.5],
          ]) {
            expect(bits(streamedTies(c, k, lambda, func))).toEqual(bits(replacedTies(c, k, lambda, func)));
          }
        }
      }
    });
  }

  it('with the fine pass and with records spilled to memory and disk, under both majorities', () => {
    const majorities = new Set<number>();
    for (let seed = 1; seed <= 8; seed++) {
      const c = randomCase(seed * 41, true, 3);
      for (const func of MERGE_FUNCS) {
        const expected = bits(replacedTies(c, 20, 0.3, func));
        // Records: a fine pass instead; spilled to disk; partly kept in memory, then on disk; buffered.
        for (const [maxBoundary, chunk, inMemory] of [
          [0, 1000, 0],
          [1e6, 3, 0],
          [1e6, 3, 200],
          [1e6, 1000, 0],
        ]) {
          const planned = plannedTies(c, 20, 0.3, func, maxBoundary, chunk, inMemory);
          expect(bits(planned.values)).toEqual(expected);
          majorities.add(planned.majority);
        }
      }
    }
    expect([...majorities].sort()).toEqual([-1, 1]);
  });

  it('where τ = θt − θ0 rounds onto or across a bucket bound or threshold (ties to even included)', () => {
    // θ0 = 1 and tiny θt: τ = θt − 1 rounds to −1 (from −(1 − 2^-26), and −(1 − 2^-25), −(1 + 2^-24) at
    // ties), to −(1 − 2^-24) or to −(1 + 2^-23); 1.0 starts a 16-bit bucket, 1 − 2^-24 ends the one below.
    const tiny = [2 ** -26, 2 ** -25, 3 * 2 ** -26, -(2 ** -24), -3 * 2 ** -25, 0, 2 ** -24, -(2 ** -26)];
    const n = tiny.length;
    const pretrained: StateDict = { w: { shape: [n], values: new Array(n).fill(1) } };
    const experts = [tiny, [...tiny].reverse(), tiny.map((v, i) => (i % 2 === 0 ? v : 2 - v))].map(
      (values): StateDict => ({ w: { shape: [n], values } }),
    );
    const c = { pretrained, experts };
    for (const func of MERGE_FUNCS) {
      for (let k = 0; k <= 100; k += 12.5) {
        expect(bits(streamedTies(c, k, 1, func))).toEqual(bits(replacedTies(c, k, 1, func)));
      }
    }
  });
});
