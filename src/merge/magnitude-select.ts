/**
 * The exact k-th smallest magnitude of each row of a stream of float32 values, in bounded memory: two
 * streaming passes of radix counts over the bit patterns. For finite x, the bits of |x| (sign cleared)
 * read as an unsigned integer are ordered like |x|, so pass 1 counts their high 16 bits (2^15 buckets)
 * and finds the bucket holding the k-th value; pass 2 counts the low 16 bits of the values in that bucket
 * only, which pins the exact value. NaN and ±Inf land in the buckets from 0x7f80 up.
 *
 * One selector serves several rows of values at once (Ties' task vectors, a row per task), each selected on
 * its own.
 */

const COARSE = 1 << 15;
const FINE = 1 << 16;
const FIRST_NON_FINITE_BUCKET = 0x7f80;

export class MagnitudeSelector {
  private readonly coarse: Float64Array;
  private fine: Float64Array | null = null;
  /** Per row, the high 16 bits of its k-th magnitude, known after `endCoarse`. */
  private readonly buckets: Int32Array;
  private readonly rankInBucket: Float64Array;
  private counted = 0;

  /** @param kth 1-based rank among the values of each row (as torch.kthvalue); every row holds as many. */
  constructor(
    readonly kth: number,
    readonly rows = 1,
  ) {
    this.coarse = new Float64Array(rows * COARSE);
    this.buckets = new Int32Array(rows);
    this.rankInBucket = new Float64Array(rows);
  }

  /** Pass 1 over the first n bit patterns of `bits`, values of `row`. */
  countCoarse(bits: Uint32Array, n: number, row = 0): void {
    const coarse = this.coarse;
    const at = row * COARSE;
    for (let i = 0; i < n; i++) coarse[at + ((bits[i] >>> 16) & 0x7fff)]++;
    if (row === 0) this.counted += n;
  }

  /** The first row that holds a NaN or ±Inf so far, or −1. */
  nonFiniteRow(): number {
    for (let r = 0; r < this.rows; r++) {
      for (let b = FIRST_NON_FINITE_BUCKET; b < COARSE; b++) if (this.coarse[r * COARSE + b] > 0) return r;
    }
    return -1;
  }

  /** After pass 1: finds each row's bucket. */
  endCoarse(): void {
    if (this.kth < 1 || this.kth > this.counted) {
      throw new RangeError(`magnitude selection: rank ${this.kth} is outside 1..${this.counted}`);
    }
    for (let r = 0; r < this.rows; r++) {
      let below = 0;
      let b = 0;
      while (below + this.coarse[r * COARSE + b] < this.kth) below += this.coarse[r * COARSE + b++];
      this.buckets[r] = b;
      this.rankInBucket[r] = this.kth - below;
    }
    this.fine = new Float64Array(this.rows * FINE);
  }

  /** Pass 2 over the same values of `row` as pass 1, in any order: counts those in the row's bucket. */
  countFine(bits: Uint32Array, n: number, row = 0): void {
    const fine = this.fine!;
    const bucket = this.buckets[row];
    for (let i = 0; i < n; i++) {
      const magnitude = bits[i] & 0x7fffffff;
      if (magnitude >>> 16 === bucket) fine[row * FINE + (magnitude & 0xffff)]++;
    }
  }

  /** After pass 2: the exact k-th smallest magnitude of each row. */
  endFine(): number[] {
    const fine = this.fine!;
    return Array.from(this.buckets, (bucket, r) => {
      let below = 0;
      for (let low = 0; low < FINE; low++) {
        below += fine[r * FINE + low];
        if (below >= this.rankInBucket[r]) return bitsToFloat((bucket << 16) | low);
      }
      throw new RangeError('magnitude selection: pass 2 saw fewer values than pass 1');
    });
  }
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

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
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const selector = new MagnitudeSelector(kth);
  selector.countCoarse(bits, values.length);
  selector.endCoarse();
  selector.countFine(bits, values.length);
  return selector.endFine()[0];
}
