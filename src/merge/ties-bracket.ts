/**
 * A first bracket of each task's Ties threshold (the k-th smallest |τt| over all float parameters),
 * from a sample: for finite x, the bits of |x| read as an unsigned integer are ordered like |x|, so
 * counting the high 16 bits of |τt| (2^15 buckets) over a sample of the entries tells, give or take the
 * sampling error, in which few buckets the threshold lies. On large models the sample is 1 in 16 runs of
 * 32 entries of every tensor (each weighted by its tensor's share sampled); on small ones every entry, and
 * the bracket is then the one bucket that holds the threshold.
 */
import type { TaskDeltas } from './ties-entries.js';

const BUCKETS = 1 << 15;
/** Buckets from here up hold NaN and ±Inf; a bracket stays below. */
const FIRST_NON_FINITE_BUCKET = 0x7f80;
/** Entries per run of the sample. */
const SAMPLE_RUN = 32;
/** Standard errors of the sampled count that the bracket covers on each side of the rank. */
const Z = 8;
/** The widest bracket, in buckets (the fine pass's counts take 2 · 8 · 2^16 float64 per task: 8 MB). */
export const MAX_WIDTH = 8;

/** Per task, the first bucket of its bracket; every bracket is `width` buckets wide. */
export interface Brackets {
  readonly firstBucket: Int32Array;
  readonly width: number;
}

export class BracketSample {
  /** Per task and bucket, the sampled count of |τt|, each weighted by its tensor's share sampled. */
  private readonly counts: Float64Array;
  private readonly block = new Float32Array(SAMPLE_RUN);
  private readonly blockBits = new Uint32Array(this.block.buffer);

  /** @param share 1 in `share` runs of entries is counted (1: every entry, exactly). */
  constructor(
    private readonly tasks: number,
    readonly share: number,
  ) {
    this.counts = new Float64Array(tasks * BUCKETS);
  }

  /** Counts a tensor's sampled |τt| = |θt − θ0| by their high 16 bits. */
  count({ base, arrays }: TaskDeltas): void {
    const { block, blockBits, counts, share } = this;
    const runs = Math.ceil(base.length / SAMPLE_RUN);
    const sampled = Math.ceil(runs / share);
    // Every sampled run counts SAMPLE_RUN entries, but the last, which may be short.
    const lastStart = (sampled - 1) * share * SAMPLE_RUN;
    const weight = base.length / ((sampled - 1) * SAMPLE_RUN + Math.min(SAMPLE_RUN, base.length - lastStart));
    arrays.forEach((array, t) => {
      const at = t * BUCKETS;
      for (let run = 0; run < runs; run += share) {
        const start = run * SAMPLE_RUN;
        const n = Math.min(SAMPLE_RUN, base.length - start);
        for (let j = 0; j < n; j++) block[j] = array[start + j] - base[start + j];
        for (let j = 0; j < n; j++) counts[at + ((blockBits[j] >>> 16) & 0x7fff)] += weight;
      }
    });
  }

  /** Per task, the buckets that hold rank `kth` among `entries` magnitudes, give or take Z standard errors. */
  brackets(kth: number, entries: number): Brackets {
    // The standard error of a sampled count below a value, in ranks (binomial, at worst p = ½).
    const margin = this.share === 1 ? 0 : Z * 0.5 * Math.sqrt(this.share * entries);
    const spans = Array.from({ length: this.tasks }, (_, t) => {
      const counts = this.counts.subarray(t * BUCKETS, (t + 1) * BUCKETS);
      return [
        this.bucketOf(counts, Math.max(kth - margin, 1)),
        this.bucketOf(counts, Math.min(kth + margin, entries)),
      ];
    });
    const width = Math.min(MAX_WIDTH, Math.max(...spans.map(([low, high]) => high - low + 1)));
    // A span wider than allowed keeps its middle.
    const firstBucket = Int32Array.from(spans, ([low, high]) =>
      Math.max(0, Math.min(Math.floor((low + high + 1 - width) / 2), FIRST_NON_FINITE_BUCKET - width)),
    );
    return { firstBucket, width };
  }

  /** The bucket holding the value of rank `rank` (1-based), below the non-finite ones. */
  private bucketOf(counts: Float64Array, rank: number): number {
    let below = 0;
    let b = 0;
    while (b < FIRST_NON_FINITE_BUCKET - 1 && below + counts[b] < rank) below += counts[b++];
    return b;
  }
}
