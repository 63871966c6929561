/**
 * The streaming global Ties (counting passes, then the merge pass over blocks of task vectors) against
 * the in-memory computation: exact thresholds by selection over the flattened task vectors, the majority
 * and the merge by the scalar reference kernel (ties-reference.ts). Results must match bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { dareMethod, dropAndRescale } from '../../src/merge/dare.js';
import { kthSmallestMagnitude } from '../../src/merge/magnitude-select.js';
import { MERGE_FUNCS, type MergeFunc, majoritySign, tiesMethod, trimRank } from '../../src/merge/ties.js';
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

/** θ0 = 0 and every expert's tensors followed by their negation: every vote has its opposite, the sum is 0. */
function mirrored(c: Case): Case {
  const zeroed = (dict: StateDict): StateDict =>
    Object.fromEntries(
      Object.entries(dict).map(([name, t]) => [
        name,
        { shape: [2 * t.values.length], values: new Array(2 * t.values.length).fill(0) },
      ]),
    );
  const both = (dict: StateDict): StateDict =>
    Object.fromEntries(
      Object.entries(dict).map(([name, t]) => [
        name,
        { shape: [2 * t.values.length], values: [...t.values, ...t.values.map((v) => -v)] },
      ]),
    );
  return { pretrained: zeroed(c.pretrained), experts: c.experts.map(both) };
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

  it('under every majority: +1, −1 and 0 (the votes cancel, zero-sign entries keep their negative values)', () => {
    const majorities = new Set<number>();
    for (let seed = 1; seed <= 8; seed++) {
      const random = randomCase(seed * 41, true, 1 + (seed % 4));
      const c = seed % 3 === 0 ? mirrored(random) : random;
      const base = flatten(c.pretrained);
      const arrays = c.experts.map(flatten);
      const kth = trimRank(base.length, 20);
      const thresholds = arrays.map((a) =>
        kthSmallestMagnitude(
          Float32Array.from(a, (v, i) => v - base[i]),
          kth,
        ),
      );
      majorities.add(majoritySign(referenceVotes({ base, arrays }, thresholds)));
      for (const func of MERGE_FUNCS) {
        expect(bits(streamedTies(c, 20, 0.3, func))).toEqual(bits(replacedTies(c, 20, 0.3, func)));
      }
    }
    expect([...majorities].sort()).toEqual([-1, 0, 1]);
  });

  it('for DARE-Ties: the dropped and rescaled task vectors, trimmed globally, under every merge function', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const c = randomCase(seed * 43, seed % 2 === 0, 1 + (seed % 4));
      const names = Object.keys(c.pretrained).sort();
      const tasks = c.experts.map((_, t) => `task${t}`);
      const base = flatten(c.pretrained);
      // τ per tensor and task, dropped with the key DARE uses, then flattened in sorted key order.
      const arrays = c.experts.map((expert, t) =>
        Float32Array.from(
          names.flatMap((name) => {
            const tau = Float32Array.from(expert[name].values, (v, i) => v - c.pretrained[name].values[i]);
            dropAndRescale(tau, 0.3, 1 / 0.7, `${seed}\u0000${name}\u0000${tasks[t]}`);
            return Array.from(tau);
          }),
        ),
      );
      const zeros = { base: new Float32Array(base.length), arrays };
      const thresholds = arrays.map((tau) => kthSmallestMagnitude(tau, trimRank(base.length, 20)));
      const majority = majoritySign(referenceVotes(zeros, thresholds));
      for (const func of MERGE_FUNCS) {
        const expected = referenceTiesTensor(base, zeros, thresholds, majority, {
          scaling_factor: 0.3,
          merge_func: func,
        });
        const params = {
          merge: 'ties',
          drop_rate: 0.3,
          threshold: 20,
          scaling_factor: 0.3,
          merge_func: func,
        };
        const experts = Object.fromEntries(c.experts.map((e, t) => [tasks[t], e]));
        const out = mergeInMemory(dareMethod, params, c.pretrained, experts, { seed });
        const flat = flatten(
          Object.fromEntries(Object.entries(out).map(([name, values]) => [name, { shape: [], values }])),
        );
        expect(bits(flat)).toEqual(bits(expected));
      }
    }
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
