/** Random inputs of the Ties entry kernel and what its tests observe of it. */
import type { EntryRecords } from '../../../src/merge/kernels/ties-entries.js';
import { mulberry32 } from '../memory.js';

/** θ0 and T experts; coarse values (multiples of 1/4) make ties at the thresholds and cancellations. */
export function randomDeltas(seed: number, n: number, taskCount: number, coarse: boolean) {
  const centered = mulberry32(seed);
  const random = () => centered() + 0.5; // [0, 1)
  // Coarse θ0 (multiples of 1/8) keeps τ exact multiples of 1/4: some sit exactly on the threshold.
  const theta = () => (coarse ? Math.floor(random() * 8) / 8 - 0.5 : random() - 0.5);
  const base = Float32Array.from({ length: n }, () => (random() < 0.3 ? -0 : theta()));
  const arrays = Array.from({ length: taskCount }, () =>
    Float32Array.from(base, (b) => {
      const r = random();
      if (r < 0.1) return b; // τ = 0 (or −0 where θ0 = −0 − 0)
      return b + (coarse ? Math.round((r - 0.55) * 12) / 4 : (r - 0.5) * 1e-2);
    }),
  );
  // Task 0 keeps everything (threshold 0, zeros included); the others trim at a float32 magnitude.
  const thresholds = arrays.map((_, t) => (t === 0 ? 0 : coarse ? 0.5 : Math.fround(2e-3 * random())));
  return { pretrained: Float32Array.from(base, (b) => b * 3), deltas: { base, arrays }, thresholds };
}

export const bits = (values: Float32Array) =>
  Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

/** Records that push the indices of the entries recorded into `indices`. */
export function recordInto(indices: number[]): EntryRecords {
  return {
    one: (index) => indices.push(index),
    many(words, count) {
      const index = new Uint32Array(words.buffer, words.byteOffset, words.length);
      const width = words.length / count;
      for (let r = 0; r < count; r++) indices.push(index[r * width]);
    },
  };
}
