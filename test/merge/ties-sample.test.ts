/**
 * Ties' sampled band (ties-sample.ts): on independent values the band holds the exact threshold and is a
 * few buckets wide, on float16 checkpoints (τ of a few distinct values per bucket) too; a sample that misleads (the sampled chunks unlike the rest) makes the merge pass
 * run again after the counting pass, with the exact result; a NaN the band would hide is still an error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { kthSmallestMagnitude } from '../../src/merge/magnitude-select.js';
import { type MergeSources, planMerge } from '../../src/merge/plan.js';
import { outputEntries, streamMerge } from '../../src/merge/stream.js';
import { majoritySign, tiesMethod, trimRank } from '../../src/merge/ties.js';
import { chunkStarts, sampledTrimBand } from '../../src/merge/ties-sample.js';
import { f16ArrayToF32, f32ArrayToF16 } from '../../src/tensor/f16.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { MemorySink, MemorySource, mulberry32 } from './memory.js';
import { referenceTiesTensor, referenceVotes } from './ties-reference.js';

/** The bit patterns of the values (a view of a larger buffer included). */
const bitsOf = (values: Float32Array) =>
  Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

const f32 = (data: Float32Array): Tensor => ({ dtype: 'F32', shape: [data.length], data });

function sourcesOf(base: Float32Array, experts: Float32Array[]): MergeSources {
  return {
    pretrained: new MemorySource('p', { w: f32(base) }),
    experts: Object.fromEntries(experts.map((e, t) => [`t${t}`, new MemorySource(`t${t}`, { w: f32(e) })])),
  };
}

/** Ties of one tensor by the reference: exact thresholds by selection, the scalar kernel. */
function reference(base: Float32Array, arrays: Float32Array[], k: number): Float32Array {
  const kth = trimRank(base.length, k);
  const thresholds = arrays.map((a) =>
    kthSmallestMagnitude(
      Float32Array.from(a, (v, i) => v - base[i]),
      kth,
    ),
  );
  const majority = majoritySign(referenceVotes({ base, arrays }, thresholds));
  return referenceTiesTensor(base, { base, arrays }, thresholds, majority, {
    scaling_factor: 0.3,
    merge_func: 'sum',
  });
}

function merge(sources: MergeSources): { out: Float32Array; passes: number } {
  const plan = planMerge(sources);
  const merger = tiesMethod.createMerger(tiesMethod.params.parse({}), {
    tasks: plan.tasks,
    floatParams: plan.floatParams,
    seed: 0,
  });
  const sink = new MemorySink(outputEntries(plan));
  try {
    const { passes } = streamMerge(sources, plan, merger, sink);
    return { out: sink.written.w.data as Float32Array, passes };
  } finally {
    for (const source of [sources.pretrained, ...Object.values(sources.experts)]) source.close();
  }
}

describe('the sampled band of the ties threshold', () => {
  it('holds the exact threshold of independent values and spans few buckets', () => {
    const n = 1 << 21;
    const random = mulberry32(7);
    const base = Float32Array.from({ length: n }, () => random() * 0.04);
    const experts = [1, 2, 3].map((scale) => base.map((b) => b + random() * 2e-3 * scale));
    const sources = sourcesOf(base, experts);
    const plan = planMerge(sources);
    const kth = trimRank(n, 20);
    const band = sampledTrimBand(sources, plan, kth, n)!;
    experts.forEach((expert, t) => {
      const exact = kthSmallestMagnitude(
        Float32Array.from(expert, (v, i) => v - base[i]),
        kth,
      );
      const bits = new Int32Array(Float32Array.of(exact).buffer)[0];
      expect(bits).toBeGreaterThanOrEqual(band.lowBits[t]);
      expect(bits).toBeLessThan(band.highBits[t]);
      // 131,072 samples give a standard error of ~0.11 % in rank; ±5 of them span ~3 buckets of 0.38 %.
      expect((band.highBits[t] - band.lowBits[t]) / 65536).toBeLessThanOrEqual(4);
    });
  });

  it('samples a sixteenth of a large tensor in evenly spaced chunks, and a small one whole', () => {
    expect(chunkStarts(1000)).toEqual({ starts: [0], length: 1000 });
    expect(chunkStarts(1 << 18)).toEqual({ starts: [0], length: 1 << 18 });
    const { starts, length } = chunkStarts(1 << 22);
    expect(starts.length * length).toBe((1 << 22) / 16);
    expect(starts[1] - starts[0]).toBe(16 * length);
  });

  it('falls back to the counting pass, exactly, when the sample misleads', () => {
    const n = 600_000;
    const random = mulberry32(3);
    const { starts, length } = chunkStarts(n);
    const sampled = new Uint8Array(n);
    for (const start of starts) sampled.fill(1, start, start + length);
    const base = Float32Array.from({ length: n }, () => random());
    // Small τ where the sample looks, large elsewhere: the sampled band lies far below the threshold.
    const experts = [0, 1].map(() => base.map((b, i) => b + random() * (sampled[i] ? 1e-4 : 1)));
    const { out, passes } = merge(sourcesOf(base, experts));
    expect(passes).toBe(1);
    expect(bitsOf(out)).toEqual(bitsOf(reference(base, experts, 20)));
  });

  it('brackets float16 checkpoints read from files (a few distinct τ per bucket) and merges them exactly', () => {
    const n = 300_000;
    const random = mulberry32(5);
    const half = (values: Float32Array) => f16ArrayToF32(f32ArrayToF16(values));
    const base = half(Float32Array.from({ length: n }, () => random() * 0.04));
    const experts = [1, 3].map((scale) => half(base.map((b) => b + random() * 2e-3 * scale)));
    const dir = mkdtempSync(join(tmpdir(), 'wemoe-ties-f16-'));
    try {
      const open = (name: string, values: Float32Array) => {
        const path = join(dir, `${name}.safetensors`);
        saveSafetensors(path, { w: { dtype: 'F16', shape: [n], data: f32ArrayToF16(values) } });
        return openSafetensors(path);
      };
      const sources = {
        pretrained: open('p', base),
        experts: Object.fromEntries(experts.map((e, t) => [`t${t}`, open(`t${t}`, e)])),
      };
      const { out, passes } = merge(sources);
      expect(passes).toBe(0);
      expect(bitsOf(out)).toEqual(bitsOf(reference(base, experts, 20)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a NaN τ whose sign would leave it out of the elected sum', () => {
    const base = new Float32Array(64).fill(1);
    const nan = base.slice();
    new Uint32Array(nan.buffer)[5] = 0xffc00000; // −NaN: in the negative part, with a NaN total
    const large = base.map((b) => b + 1);
    expect(() => merge(sourcesOf(base, [nan, large]))).toThrow(/non-finite values in expert 't0'/);
  });
});
