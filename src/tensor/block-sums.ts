/**
 * Per-entry float64 sums over several float32 arrays, the core of task arithmetic and weight averaging.
 */

/** Entries summed at a time: the float64 sums stay in the L1 cache while every array is added. */
const SUM_BLOCK = 2048;

/**
 * Per entry i, the float64 sum of arrays[t][i] in task order from +0 (the same operations as a scalar
 * loop, so the same result), handed to `write` a block of entries [start, start + count) at a time.
 * Four arrays are added per sweep over a block, left to right, which keeps the order and loads and
 * stores each sum a quarter as often.
 */
export function blockSums(
  arrays: readonly Float32Array[],
  length: number,
  write: (sums: Float64Array, start: number, count: number) => void,
): void {
  const sums = new Float64Array(Math.min(SUM_BLOCK, length));
  for (let start = 0; start < length; start += SUM_BLOCK) {
    const end = Math.min(start + SUM_BLOCK, length);
    sums.fill(0);
    let t = 0;
    for (; t + 4 <= arrays.length; t += 4) {
      const [a, b, c, d] = [arrays[t], arrays[t + 1], arrays[t + 2], arrays[t + 3]];
      for (let i = start; i < end; i++) sums[i - start] = sums[i - start] + a[i] + b[i] + c[i] + d[i];
    }
    for (; t < arrays.length; t++) {
      const a = arrays[t];
      for (let i = start; i < end; i++) sums[i - start] += a[i];
    }
    write(sums, start, end - start);
  }
}
