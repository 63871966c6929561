/**
 * A first bracket of Ties' global trim thresholds from a sample of the task vectors, so that the merge
 * pass can follow at once instead of a counting pass over every model (a whole read of the inputs).
 *
 * Each float tensor is a stratum: small ones are read whole (exact counts), larger ones as evenly spaced
 * chunks holding a sixteenth of their entries. Counted sixteen times over, the sampled magnitudes
 * estimate how many |τt| lie under a value (counted by their high 16 bits, then by all 32 inside the
 * band's edge buckets); the standard error of that count at the estimated threshold comes from the
 * spread of the chunks' counts in each stratum (cluster sampling: values inside a chunk may be alike).
 * The band per task holds the rank of the threshold give or take Z standard errors and the bound of the
 * rounding of the weights. The merge pass checks the band against exact counts and falls back
 * to the counting pass when the threshold lies outside it: a bad sample costs time, never exactness.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { TensorSource } from '../io/tensor-source.js';
import { toFloat32 } from '../tensor/convert.js';
import { DTYPE_BYTES, numel } from '../tensor/tensor.js';
import { countDeltaAtLeast, countDeltaBuckets, countDeltaPairSimd } from './kernels/count-simd.js';
import type { TrimBits } from './kernels/ties-entries.js';
import { countDifferences } from './magnitude-select.js';
import type { MergePlan, MergeSources } from './plan.js';
import { floatView } from './read-ahead.js';

/** Entries per sampled chunk, about (32 KB of float32: one read each). */
const CHUNK = 8192;
/** The sampled share of a large tensor is 1 / SHARE. */
const SHARE = 16;
/** Tensors up to this many entries are read whole. */
const WHOLE = 2 * CHUNK * SHARE;
/** Standard errors on each side of the estimated rank that the band covers. */
const Z = 5;
const BUCKETS = 1 << 15;

/** The chunks sampled from a tensor of `entries` entries: their starts (none overlap) and length. */
export function chunkStarts(entries: number): { starts: number[]; length: number } {
  if (entries <= WHOLE) return { starts: [0], length: entries };
  const chunks = Math.round(entries / (CHUNK * SHARE));
  const length = Math.round(entries / (SHARE * chunks));
  const spacing = entries / chunks;
  return { starts: Array.from({ length: chunks }, (_, c) => Math.floor(c * spacing)), length };
}

/** A sampled tensor: its entries, and its chunks (they lie one after another in the sample). */
interface Stratum {
  readonly entries: number;
  readonly chunkLength: number;
  readonly chunks: number;
}

/** Where every read lies in the sample: the tensors read whole first, then the chunks of the others. */
interface SampleLayout {
  readonly length: number;
  readonly wholeLength: number;
  readonly strata: readonly Stratum[];
  /** Bound on the error of counting each sampled entry as SHARE entries (chunk lengths are rounded). */
  readonly weightError: number;
  readonly reads: readonly { name: string; start: number; length: number; at: number }[];
}

function sampleLayout(plan: MergePlan): SampleLayout {
  const tensors = plan.floatTensors.map((info) => {
    const entries = numel(info.shape);
    const { starts, length } = chunkStarts(entries);
    return { name: info.name, entries, starts, length, whole: length === entries };
  });
  const reads: SampleLayout['reads'][number][] = [];
  const strata: Stratum[] = [];
  let at = 0;
  let weightError = 0;
  const place = ({ name, starts, length }: (typeof tensors)[number]) => {
    for (const start of starts) {
      reads.push({ name, start, length, at });
      at += length;
    }
  };
  for (const tensor of tensors.filter((t) => t.whole)) place(tensor);
  const wholeLength = at;
  for (const tensor of tensors.filter((t) => !t.whole)) {
    place(tensor);
    const { entries, length, starts } = tensor;
    strata.push({ entries, chunkLength: length, chunks: starts.length });
    weightError += Math.abs(entries - SHARE * starts.length * length);
  }
  return { length: at, wholeLength, strata, weightError, reads };
}

/** Reads ranges of one model's tensors: by byte range from its file when located, else whole. */
class RangeReader {
  private readonly fds = new Map<string, number>();

  constructor(private readonly source: TensorSource) {}

  /** Every read of the layout, into `into` (the sample's length). */
  readSample(layout: SampleLayout, into: Float32Array): void {
    for (const { name, start, length, at } of layout.reads)
      this.read(name, start, into.subarray(at, at + length));
  }

  /** values[start, start + into.length) of tensor `name` into `into`. */
  private read(name: string, start: number, into: Float32Array): void {
    const located = this.source.locate?.(name);
    if (located === undefined) {
      into.set(this.source.readF32(name).subarray(start, start + into.length));
      return;
    }
    const width = DTYPE_BYTES[located.dtype];
    const direct = located.dtype === 'F32';
    const bytes = direct
      ? new Uint8Array(into.buffer, into.byteOffset, into.byteLength)
      : new Uint8Array(into.length * width);
    if (
      readSync(this.fd(located.path), bytes, 0, bytes.length, located.offset + start * width) !== bytes.length
    ) {
      throw new RangeError(`merge: ${located.path}: tensor '${name}' ends before its stated length`);
    }
    if (!direct) {
      const data = floatView(located.dtype, bytes);
      into.set(toFloat32({ dtype: located.dtype, shape: [into.length], data }));
    }
  }

  private fd(path: string): number {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, 'r');
      this.fds.set(path, fd);
    }
    return fd;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/**
 * Per task, the band [lowBits, highBits) of |τt| bit patterns that holds the magnitude of rank `kth`
 * (1-based, among all float parameters) with high confidence, from a sample of the models; null when the
 * bands would hold more than `maxInBand` magnitudes summed over the tasks (the counting pass is cheaper
 * then). The sample lies in `scratch` when it has room (three models' worth).
 */
export function sampledTrimBand(
  sources: MergeSources,
  plan: MergePlan,
  kth: number,
  maxInBand: number,
  scratch?: Float32Array,
): TrimBits | null {
  const layout = sampleLayout(plan);
  const tasks = plan.tasks.length;
  const lowBits = new Int32Array(tasks);
  const highBits = new Int32Array(tasks);
  const n = layout.length;
  const room = scratch !== undefined && scratch.length >= 3 * n;
  const [base, ...experts] = [0, 1, 2].map((k) =>
    room ? scratch.subarray(k * n, (k + 1) * n) : new Float32Array(n),
  );
  let inBand = 0;
  const read = (source: TensorSource, into: Float32Array) => {
    const reader = new RangeReader(source);
    try {
      reader.readSample(layout, into);
    } finally {
      reader.close();
    }
  };
  read(sources.pretrained, base);
  for (let first = 0; first < tasks; first += 2) {
    const pair = plan.tasks.slice(first, first + 2);
    for (const [k, task] of pair.entries()) read(sources.experts[task], experts[k]);
    // A last task alone is counted as a pair with itself.
    const arrays = pair.length === 2 ? experts : [experts[0], experts[0]];
    const counts = sampleCounts(base, arrays, layout);
    for (const [k] of pair.entries()) {
      const band = taskBand(base, arrays[k], counts[k], layout, kth);
      lowBits[first + k] = band.lowBits;
      highBits[first + k] = band.highBits;
      inBand += band.inBand;
    }
  }
  return inBand > maxInBand ? null : { lowBits, highBits };
}

/**
 * The estimated count of |τ| per bucket (high 16 bits) of both arrays: the tensors read whole counted
 * once, the sampled entries SHARE times.
 */
function sampleCounts(base: Float32Array, arrays: Float32Array[], layout: SampleLayout): Float64Array[] {
  const counts = arrays.map(() => new Float64Array(BUCKETS));
  for (const [start, end, weight] of sampleParts(layout)) {
    const lanes = arrays.map(() => new Int32Array(2 * BUCKETS));
    const counted = countDeltaPairSimd(arrays[0], arrays[1], base, start, end, lanes[0], lanes[1]);
    arrays.forEach((array, k) => {
      countDifferences(array, base, counted, end, lanes[k]);
      for (let b = 0; b < BUCKETS; b++) counts[k][b] += weight * (lanes[k][b] + lanes[k][BUCKETS + b]);
    });
  }
  return counts;
}

/**
 * One task's band, and its estimated count of magnitudes in it: the ranks kth ± the margin are found
 * among the estimated counts per bucket, then inside their buckets by the sample's fine counts (a
 * bucket may hold a few distinct values only, as when τ comes from float16 weights: no interpolation).
 */
function taskBand(
  base: Float32Array,
  expert: Float32Array,
  counts: Float64Array,
  layout: SampleLayout,
  kth: number,
) {
  const below = new Float64Array(BUCKETS + 1);
  for (let b = 0; b < BUCKETS; b++) below[b + 1] = below[b] + counts[b];
  const error = standardError(base, expert, layout, centerBits(below, counts, kth));
  const margin = Z * error + layout.weightError + 1;
  const lowRank = kth - margin;
  // Up to the largest magnitude sampled at most: larger ones unseen are kept all the same.
  const highRank = Math.min(kth + margin, below[BUCKETS]);
  const lowBucket = bucketOfRank(below, lowRank);
  const highBucket = bucketOfRank(below, highRank);
  const fine = [new Float64Array(1 << 16), new Float64Array(1 << 16)];
  for (const [start, end, weight] of sampleParts(layout)) {
    const parts = countDeltaBuckets(expert, base, start, end, lowBucket, highBucket);
    for (const [k, part] of parts.entries()) {
      for (let i = 0; i < part.length; i++) fine[k][i] += weight * part[i];
    }
  }
  const low = fineOfRank(fine[0], lowRank - below[lowBucket]);
  const high = fineOfRank(fine[1], highRank - below[highBucket]);
  const lowBits = lowBucket * 65536 + low.index;
  const highBits = Math.min(highBucket * 65536 + high.index + 1, 0x7fffffff);
  const inBand = below[highBucket] + high.through - (below[lowBucket] + low.through - fine[0][low.index]);
  return { lowBits, highBits, inBand };
}

/** The tensors read whole (counted once) and the sampled entries (SHARE times): [start, end, weight]. */
function sampleParts(layout: SampleLayout): (readonly [number, number, number])[] {
  return [
    [0, layout.wholeLength, 1],
    [layout.wholeLength, layout.length, SHARE],
  ];
}

/** The first bucket b whose estimated count at or under it (below[b + 1]) reaches `rank`. */
function bucketOfRank(below: Float64Array, rank: number): number {
  let lo = 0;
  let hi = BUCKETS - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (below[mid + 1] >= rank) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Inside a bucket: the first low 16 bits whose count at or under them reaches `rank`, and that count. */
function fineOfRank(fine: Float64Array, rank: number): { index: number; through: number } {
  let through = 0;
  for (let index = 0; index < fine.length; index++) {
    through += fine[index];
    if (through >= rank) return { index, through };
  }
  return { index: fine.length - 1, through };
}

/** Roughly the bit pattern of rank `rank` (linear inside its bucket): where the spread is measured. */
function centerBits(below: Float64Array, counts: Float64Array, rank: number): number {
  const bucket = bucketOfRank(below, rank);
  const inside = counts[bucket] > 0 ? Math.floor(((rank - below[bucket]) / counts[bucket]) * 65536) : 0;
  return bucket * 65536 + Math.min(Math.max(inside, 0), 0xffff);
}

/**
 * Standard error of the estimated count of magnitudes under `bits`: per sampled tensor, the spread of
 * its chunks' counts (cluster sampling without replacement); tensors read whole add none.
 */
function standardError(base: Float32Array, expert: Float32Array, layout: SampleLayout, bits: number): number {
  let variance = 0;
  let at = layout.wholeLength;
  for (const { entries, chunkLength, chunks } of layout.strata) {
    let sum = 0;
    let squares = 0;
    for (let c = 0; c < chunks; c++, at += chunkLength) {
      const under = chunkLength - countDeltaAtLeast(expert, base, at, at + chunkLength, bits);
      sum += under;
      squares += under * under;
    }
    const spread = chunks > 1 ? (squares - (sum * sum) / chunks) / (chunks - 1) : sum * sum;
    const population = entries / chunkLength;
    variance += (population * population * Math.max(0, 1 - chunks / population) * spread) / chunks;
  }
  return Math.sqrt(variance);
}
