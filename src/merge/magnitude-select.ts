/**
 * The exact k-th smallest magnitude of a stream of float32 values, in bounded memory: two streaming passes
 * of radix selection over the bit patterns. For finite x, the bits of |x| read as uint32 are ordered like
 * |x|, so pass 1 counts the high 16 bits (65536 buckets) and finds the bucket holding the k-th value;
 * pass 2 counts the low 16 bits of the values in that bucket only and pins the exact value.
 */
import { countDeltaPairSimd } from './kernels/count-simd.js';

const BUCKETS = 1 << 16;
const MAGNITUDE_MASK = 0x7fffffff;
const FIRST_NON_FINITE_BUCKET = 0x7f80;
/** Buckets of magnitudes (sign bit cleared). */
const HALF = BUCKETS >>> 1;
const MAX_UNFOLDED = 0x7fffffff;

/** Counts the high 16 bits of |x| for the first n bit patterns, alternating between two lanes of `lanes`. */
function countTwoLanes(bits: Int32Array, n: number, lanes: Int32Array): void {
  const even = n & ~1;
  for (let i = 0; i < even; i += 2) {
    lanes[(bits[i] & MAGNITUDE_MASK) >> 16]++;
    lanes[HALF + ((bits[i + 1] & MAGNITUDE_MASK) >> 16)]++;
  }
  if (even < n) lanes[(bits[even] & MAGNITUDE_MASK) >> 16]++;
}

const quad = new Float32Array(4);
const quadBits = new Int32Array(quad.buffer);

/**
 * countTwoLanes over τ = float32(array − base) in [start, end), without storing τ: four differences
 * at a time go through a small buffer. One loop over the models' tensors lets the counting run while
 * their bytes stream in from memory (the bound on this loop). `lanes` holds 2 · 2^15 counts: bucket b's
 * are lanes[b] + lanes[2^15 + b].
 */
export function countDifferences(
  array: Float32Array,
  base: Float32Array,
  start: number,
  end: number,
  lanes: Int32Array,
): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    quad[0] = array[i] - base[i];
    quad[1] = array[i + 1] - base[i + 1];
    quad[2] = array[i + 2] - base[i + 2];
    quad[3] = array[i + 3] - base[i + 3];
    lanes[(quadBits[0] & MAGNITUDE_MASK) >> 16]++;
    lanes[HALF + ((quadBits[1] & MAGNITUDE_MASK) >> 16)]++;
    lanes[(quadBits[2] & MAGNITUDE_MASK) >> 16]++;
    lanes[HALF + ((quadBits[3] & MAGNITUDE_MASK) >> 16)]++;
  }
  for (; i < end; i++) {
    quad[0] = array[i] - base[i];
    lanes[(quadBits[0] & MAGNITUDE_MASK) >> 16]++;
  }
}

const pair = new Float32Array(8);
const pairBits = new Int32Array(pair.buffer);

/** countDifferences of two arrays at once, reading base once for both (its bytes are half the stream). */
function countDifferencePair(
  first: Float32Array,
  second: Float32Array,
  base: Float32Array,
  start: number,
  end: number,
  firstLanes: Int32Array,
  secondLanes: Int32Array,
): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const b0 = base[i];
    const b1 = base[i + 1];
    const b2 = base[i + 2];
    const b3 = base[i + 3];
    pair[0] = first[i] - b0;
    pair[1] = first[i + 1] - b1;
    pair[2] = first[i + 2] - b2;
    pair[3] = first[i + 3] - b3;
    pair[4] = second[i] - b0;
    pair[5] = second[i + 1] - b1;
    pair[6] = second[i + 2] - b2;
    pair[7] = second[i + 3] - b3;
    firstLanes[(pairBits[0] & MAGNITUDE_MASK) >> 16]++;
    firstLanes[HALF + ((pairBits[1] & MAGNITUDE_MASK) >> 16)]++;
    firstLanes[(pairBits[2] & MAGNITUDE_MASK) >> 16]++;
    firstLanes[HALF + ((pairBits[3] & MAGNITUDE_MASK) >> 16)]++;
    secondLanes[(pairBits[4] & MAGNITUDE_MASK) >> 16]++;
    secondLanes[HALF + ((pairBits[5] & MAGNITUDE_MASK) >> 16)]++;
    secondLanes[(pairBits[6] & MAGNITUDE_MASK) >> 16]++;
    secondLanes[HALF + ((pairBits[7] & MAGNITUDE_MASK) >> 16)]++;
  }
  countDifferences(first, base, i, end, firstLanes);
  countDifferences(second, base, i, end, secondLanes);
}

/** Bit pattern of |x| for every x of a float32 array (a view over the same bytes, masked on read). */
export function bitsView(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}

export class MagnitudeSelector {
  private readonly coarse = new Float64Array(BUCKETS);
  /** Counts since the last fold, in two interleaved int32 lanes (consecutive equal buckets do not wait on each other). */
  private readonly lanes = new Int32Array(2 * HALF);
  private unfolded = 0;
  private fine: Float64Array | null = null;
  /** High 16 bits of the k-th magnitude, known after `endCoarse`. */
  bucket = -1;
  private rankInBucket = 0;
  private seen = 0;
  private nonFinite = 0;

  /** @param kth 1-based rank among all values that will be counted (as torch.kthvalue). */
  constructor(readonly kth: number) {}

  /** Pass 1: counts every value; returns how many of them are NaN or ±Inf. */
  countCoarse(values: Float32Array): number {
    const bits = bitsView(values);
    for (let start = 0; start < bits.length; start += MAX_UNFOLDED) {
      const slice = bits.subarray(start, start + MAX_UNFOLDED);
      this.countCoarseBits(slice, slice.length);
    }
    return this.takeNonFinite();
  }

  private countCoarseBits(bits: Int32Array, n: number): void {
    this.reserve(n);
    countTwoLanes(bits, n, this.lanes);
  }

  /** Makes room for n more counts in the int32 lanes (n ≤ MAX_UNFOLDED). */
  private reserve(n: number): void {
    if (this.unfolded + n > MAX_UNFOLDED) this.fold();
    this.unfolded += n;
    this.seen += n;
  }

  /**
   * Pass 1 of selectors[t] over τt = float32(arrays[t] − base) (all of base's length), never stored,
   * two tasks per sweep (in WebAssembly, bar short tensors, tails and an odd last task); NaN/Inf are
   * reported by `takeNonFinite`.
   */
  static countCoarseDeltas(
    selectors: readonly MagnitudeSelector[],
    arrays: readonly Float32Array[],
    base: Float32Array,
  ): void {
    for (let start = 0; start < base.length; start += MAX_UNFOLDED) {
      const end = Math.min(start + MAX_UNFOLDED, base.length);
      for (const selector of selectors) selector.reserve(end - start);
      let t = 0;
      for (; t + 1 < arrays.length; t += 2) {
        const [a, b] = [selectors[t].lanes, selectors[t + 1].lanes];
        const counted = countDeltaPairSimd(arrays[t], arrays[t + 1], base, start, end, a, b);
        countDifferencePair(arrays[t], arrays[t + 1], base, counted, end, a, b);
      }
      if (t < arrays.length) countDifferences(arrays[t], base, start, end, selectors[t].lanes);
    }
  }

  /** How many NaN or ±Inf were counted since the last call. */
  takeNonFinite(): number {
    const nonFinite = this.nonFiniteCount();
    const added = nonFinite - this.nonFinite;
    this.nonFinite = nonFinite;
    return added;
  }

  /** Adds the int32 lane counts into the float64 totals. */
  private fold(): void {
    const lanes = this.lanes;
    for (let b = 0; b < HALF; b++) this.coarse[b] += lanes[b] + lanes[HALF + b];
    lanes.fill(0);
    this.unfolded = 0;
  }

  /** NaN and infinities: their bit patterns sit above the largest finite one. */
  private nonFiniteCount(): number {
    let count = 0;
    for (let b = FIRST_NON_FINITE_BUCKET; b < HALF; b++) {
      count += this.coarse[b] + this.lanes[b] + this.lanes[HALF + b];
    }
    return count;
  }

  /** Whether pass 1 saw a NaN or an infinity. */
  sawNonFinite(): boolean {
    return this.nonFinite > 0;
  }

  endCoarse(): void {
    this.fold();
    if (this.kth < 1 || this.kth > this.seen) {
      throw new RangeError(`magnitude selection: rank ${this.kth} is outside 1..${this.seen}`);
    }
    let below = 0;
    for (let b = 0; b < BUCKETS; b++) {
      if (below + this.coarse[b] >= this.kth) {
        this.bucket = b;
        this.rankInBucket = this.kth - below;
        this.fine = new Float64Array(BUCKETS);
        return;
      }
      below += this.coarse[b];
    }
  }

  /** How many values fall in the selected bucket (known after pass 1). */
  bucketCount(): number {
    return this.coarse[this.bucket];
  }

  /** Pass 2: counts the values of the selected bucket; the same values as pass 1, in any order. */
  countFine(values: Float32Array): void {
    this.countFineBits(bitsView(values), values.length);
  }

  /** Pass 2 on the first n bit patterns of `bits`. */
  countFineBits(bits: Int32Array, n: number): void {
    const fine = this.fine!;
    const bucket = this.bucket;
    for (let i = 0; i < n; i++) {
      const magnitude = bits[i] & MAGNITUDE_MASK;
      if (magnitude >>> 16 === bucket) fine[magnitude & 0xffff]++;
    }
  }

  /** Pass 2 over τ = float32(array − base) (same length), never stored. */
  countFineDeltas(array: Float32Array, base: Float32Array): void {
    const fine = this.fine!;
    const bucket = this.bucket;
    for (let i = 0; i < array.length; i++) {
      quad[0] = array[i] - base[i];
      const magnitude = quadBits[0] & MAGNITUDE_MASK;
      if (magnitude >>> 16 === bucket) fine[magnitude & 0xffff]++;
    }
  }

  /** Adds fine counts of the selected bucket kept elsewhere: counts[from + b] values with low 16 bits b. */
  addFineCounts(counts: Int32Array, from: number): void {
    const fine = this.fine!;
    for (let b = 0; b < BUCKETS; b++) fine[b] += counts[from + b];
  }

  /** Counts one bit pattern of the selected bucket (for callers that classify values themselves). */
  countFineBit(magnitudeBits: number): void {
    this.fine![magnitudeBits & 0xffff]++;
  }

  /** The exact k-th smallest magnitude. */
  endFine(): number {
    return bitsToFloat(this.endFineBits());
  }

  /** The bit pattern of the exact k-th smallest magnitude. */
  endFineBits(): number {
    const fine = this.fine!;
    let below = 0;
    for (let low = 0; low < BUCKETS; low++) {
      below += fine[low];
      if (below >= this.rankInBucket) return (this.bucket << 16) | low;
    }
    throw new RangeError('magnitude selection: pass 2 saw fewer values than pass 1');
  }
}

const scratch = new Float32Array(1);
const scratchBits = bitsView(scratch);

export function floatBits(value: number): number {
  scratch[0] = value;
  return scratchBits[0];
}

export function bitsToFloat(bits: number): number {
  scratchBits[0] = bits;
  return scratch[0];
}

/** The exact k-th smallest |x| (1-based) of an in-memory array: both passes over the same values. */
export function kthSmallestMagnitude(values: Float32Array, kth: number): number {
  const selector = new MagnitudeSelector(kth);
  selector.countCoarse(values);
  selector.endCoarse();
  selector.countFine(values);
  return selector.endFine();
}
