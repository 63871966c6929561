/**
 * The blocked SIMD sums of task arithmetic, DARE's θ0 + λ·Σ τ and the weight average against the scalar
 * definitions (the former implementations), bit for bit: lengths across 4-lane and block boundaries, 1 to
 * 11 experts (more than one accumulate call), −0, exact cancellations, negative λ, NaN/±Inf inputs and
 * float32 overflow; inputs read in place from a kernel arena (as the merge driver's ring hands them out),
 * mixed with inputs outside it.
 */
import { describe, expect, it } from 'vitest';
import { meanInto, scaledSumInto, taskArithmeticInto } from '../../../src/merge/kernels/sum-simd.js';
import { mulberry32 } from '../memory.js';
import { inArena } from './arena.js';

/** The scalar definition: the float64 sum starts at +0 and adds the experts in task order. */
function scalarTaskArithmetic(pretrained: Float32Array, experts: Float32Array[], lambda: number) {
  const out = new Float32Array(pretrained.length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (const expert of experts) sum += expert[i];
    out[i] = pretrained[i] + lambda * (sum - experts.length * pretrained[i]);
  }
  return out;
}

/** DARE's merge of task vectors: θ0 + λ·Σ τ. */
function scalarScaledSum(pretrained: Float32Array, taus: Float32Array[], lambda: number) {
  const out = new Float32Array(pretrained.length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (const tau of taus) sum += tau[i];
    out[i] = pretrained[i] + lambda * sum;
  }
  return out;
}

function scalarMean(experts: Float32Array[]) {
  const out = new Float32Array(experts[0].length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (const expert of experts) sum += expert[i];
    out[i] = sum / experts.length;
  }
  return out;
}

/** Bit patterns, every NaN written as one pattern (NaN payloads are not specified). */
function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer), (b, i) => (Number.isNaN(values[i]) ? 0x7fc00000 : b));
}

/** θ0 and experts: −0 and zeros, coarse values that cancel exactly, fine values, a few large ones. */
function randomModels(seed: number, n: number, count: number) {
  const centered = mulberry32(seed);
  const random = () => centered() + 0.5; // [0, 1)
  const value = () => {
    const r = random();
    if (r < 0.15) return r < 0.07 ? -0 : 0;
    if (r < 0.5) return Math.round((random() - 0.5) * 16) / 4;
    if (r < 0.52) return (random() - 0.5) * 6e38;
    return (random() - 0.5) * 2 ** (Math.floor(random() * 40) - 20);
  };
  const pretrained = Float32Array.from({ length: n }, value);
  const experts = Array.from({ length: count }, () => Float32Array.from({ length: n }, value));
  return { pretrained, experts };
}

const LENGTHS = [0, 1, 3, 4, 5, 2047, 2048, 2049, 4099];
const COUNTS = [1, 2, 7, 8, 9, 11];

describe('taskArithmeticInto, scaledSumInto and meanInto (blocked, WebAssembly SIMD)', () => {
  it('equal the scalar definitions bit for bit, and say whether every result is finite', () => {
    let seed = 1;
    let nonFinite = 0;
    for (const n of LENGTHS) {
      for (const count of COUNTS) {
        const { pretrained, experts } = randomModels(seed++, n, count);
        for (const lambda of [0.3, -0.7, 1 / count, 0]) {
          const out = new Float32Array(n);
          const finite = taskArithmeticInto(out, pretrained, experts, lambda);
          const expected = scalarTaskArithmetic(pretrained, experts, lambda);
          expect(bits(out)).toEqual(bits(expected));
          expect(finite).toBe(expected.every(Number.isFinite));
          if (!finite) nonFinite++;
          const scaled = new Float32Array(n);
          const scaledFinite = scaledSumInto(scaled, pretrained, experts, lambda);
          const scaledExpected = scalarScaledSum(pretrained, experts, lambda);
          expect(bits(scaled)).toEqual(bits(scaledExpected));
          expect(scaledFinite).toBe(scaledExpected.every(Number.isFinite));
        }
        if (n === 0) continue;
        const mean = new Float32Array(n);
        const finite = meanInto(mean, experts);
        const expected = scalarMean(experts);
        expect(bits(mean)).toEqual(bits(expected));
        expect(finite).toBe(expected.every(Number.isFinite));
      }
    }
    // The large values overflow float32 in some merges: both answers of the check were exercised.
    expect(nonFinite).toBeGreaterThan(0);
  });

  it('reports NaN and ±Inf inputs anywhere in a tensor, in the last partial block too', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const [where, at] of [
        ['pretrained', 0],
        ['expert', 2048],
        ['expert', 4098],
      ] as const) {
        // Scaled down: every merge of these is finite until one value is made bad.
        const [pretrained, ...experts] = Object.values(randomModels(7, 4099, 9))
          .flat()
          .map((array) => array.map((v) => v / 1e30));
        expect(taskArithmeticInto(new Float32Array(4099), pretrained, experts, 0.3)).toBe(true);
        expect(meanInto(new Float32Array(4099), experts)).toBe(true);
        (where === 'pretrained' ? pretrained : experts[8])[at] = bad;
        const out = new Float32Array(4099);
        expect(taskArithmeticInto(out, pretrained, experts, 0.3)).toBe(false);
        expect(Number.isNaN(out[at]) || Math.abs(out[at]) === Number.POSITIVE_INFINITY).toBe(true);
        if (where === 'expert') expect(meanInto(new Float32Array(4099), experts)).toBe(false);
      }
    }
  });

  it('sums no expert as +0, whatever an earlier call left in the kernel', () => {
    const { pretrained, experts } = randomModels(5, 8, 3);
    taskArithmeticInto(new Float32Array(8), pretrained, experts, 0.3);
    const out = new Float32Array(3);
    expect(taskArithmeticInto(out, Float32Array.of(1, -0, 2.5), [], 0.5)).toBe(true);
    expect(Array.from(out)).toEqual([1, 0, 2.5]);
    expect(Object.is(out[1], 0)).toBe(true); // −0 + 0.5·(+0 − 0·−0) = +0
  });

  it('computes known values (λ·Σ τ, the mean)', () => {
    const pretrained = Float32Array.of(1, 2, 3, -0, 5);
    const experts = [Float32Array.of(2, 2, 5, -0, 5), Float32Array.of(1, 6, 1, -0, 7)];
    const out = new Float32Array(5);
    expect(taskArithmeticInto(out, pretrained, experts, 0.5)).toBe(true);
    expect(Array.from(out)).toEqual([1.5, 4, 3, 0, 6]);
    expect(Object.is(out[3], 0)).toBe(true); // −0 + 0.5·(+0 − 2·−0) = −0 + +0 = +0
    expect(meanInto(out, experts)).toBe(true);
    expect(Array.from(out)).toEqual([1.5, 4, 3, 0, 6]);
  });

  it('reads inputs in place from a kernel arena, mixed with copies, whatever lies past their ends', () => {
    let seed = 100;
    let nonFinite = 0;
    for (const n of LENGTHS) {
      for (const count of [1, 8, 11]) {
        const { pretrained, experts } = randomModels(seed++, n, count);
        // Every other expert in the arena, the rest (and θ0 for odd seeds) outside it.
        const [p, ...e] = inArena([pretrained, ...experts], (k) => (k === 0 ? seed % 2 === 0 : k % 2 === 1));
        const out = new Float32Array(n);
        const finite = taskArithmeticInto(out, p, e, 0.3);
        const expected = scalarTaskArithmetic(pretrained, experts, 0.3);
        expect(bits(out)).toEqual(bits(expected));
        expect(finite).toBe(expected.every(Number.isFinite));
        if (!finite) nonFinite++;
        const scaled = new Float32Array(n);
        expect(scaledSumInto(scaled, p, e, -0.7)).toBe(
          scalarScaledSum(pretrained, experts, -0.7).every(Number.isFinite),
        );
        expect(bits(scaled)).toEqual(bits(scalarScaledSum(pretrained, experts, -0.7)));
        if (n === 0) continue;
        const mean = new Float32Array(n);
        expect(meanInto(mean, e)).toBe(scalarMean(experts).every(Number.isFinite));
        expect(bits(mean)).toEqual(bits(scalarMean(experts)));
      }
    }
    expect(nonFinite).toBeGreaterThan(0);
  });

  it('reports NaN and ±Inf read in place, in the last partial block too, and not the NaN past an end', () => {
    for (const n of [4099, 4100]) {
      const [pretrained, ...experts] = Object.values(randomModels(9, n, 9))
        .flat()
        .map((array) => array.map((v) => v / 1e30));
      const [p, ...e] = inArena([pretrained, ...experts], () => true);
      expect(p.buffer).toBe(e[0].buffer);
      expect(taskArithmeticInto(new Float32Array(n), p, e, 0.3)).toBe(true);
      expect(meanInto(new Float32Array(n), e)).toBe(true);
      for (const at of [0, 2048, n - 1]) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
          e[8][at] = bad;
          const out = new Float32Array(n);
          expect(taskArithmeticInto(out, p, e, 0.3)).toBe(false);
          expect(Number.isFinite(out[at])).toBe(false);
          e[8][at] = experts[8][at];
        }
      }
    }
  });
});
