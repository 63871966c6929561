/**
 * Ties with the global trim in bounded memory, reading the models twice: once to count magnitudes, once
 * to merge. Per task, the trim threshold is the exact k-th smallest |τt| over ALL float parameters, and
 * the majority sign (the sign of Σ over every entry of sign(Σt trimmed τt)) breaks zero-sign ties.
 *
 * Pass 0 counts the high 16 bits of every |τt| (MagnitudeSelector): the threshold lies in a known
 * boundary bucket per task. The merge pass then decides every entry whose magnitudes all lie outside the
 * boundary buckets (kept or trimmed for sure) and writes its merged value at once; an entry with a
 * magnitude in a boundary bucket, or whose elected sign is the majority's and matters, is provisional:
 * its T task-vector values go to a record log (on disk past a small buffer). After the pass, the records
 * give the fine counts in the boundary buckets (every boundary magnitude is in exactly one record), so the
 * exact thresholds, then the last votes, so the majority; `finalize` rewrites the provisional entries.
 * When the boundary buckets hold too many entries (magnitudes that repeat, as in DARE's zeros), pass 1
 * pins the exact thresholds first and only majority-dependent entries are recorded.
 */
import { bitsToFloat, floatBits, MagnitudeSelector } from './magnitude-select.js';
import type { MergeFunc } from './ties.js';
import { type RecordCursor, RecordLog } from './ties-records.js';

/**
 * Pass 1 pins the thresholds first when the boundary buckets hold more than d / RECORDED_FRACTION
 * magnitudes (and more than one chunk): recording them would cost about as much as reading the models.
 */
const RECORDED_FRACTION = 8;
const RECORDS_PER_CHUNK = 1 << 16;

/** The task vectors of one tensor as τt = float32(arrays[t] − base): experts and θ0, or DARE's τ and zeros. */
export interface TaskDeltas {
  readonly base: Float32Array;
  readonly arrays: readonly Float32Array[];
}

export interface TiesMergeOptions {
  readonly scaling_factor: number;
  readonly merge_func: MergeFunc;
}

/**
 * Per task, magnitudes below `lows` are trimmed and from `highs` up kept; in between, not known yet.
 * `lowMids` is the midpoint between `lows` and the float32 below it: a difference of magnitude under it
 * rounds to a float32 under `lows`.
 */
interface Bounds {
  readonly lows: Float64Array;
  readonly lowMids: Float64Array;
  readonly highs: Float64Array;
}

function boundsOf(lows: readonly number[], highs: readonly number[]): Bounds {
  const below = (low: number) => (low > 0 ? bitsToFloat(floatBits(low) - 1) : low);
  return {
    lows: Float64Array.from(lows),
    lowMids: Float64Array.from(lows, (low) => (below(low) + low) / 2),
    highs: Float64Array.from(highs),
  };
}

export class GlobalTrimPlanner {
  private readonly selectors: MagnitudeSelector[];
  /** The exact thresholds, known after pass 1 or `finishMerge`. */
  thresholds: number[] = [];
  majority: 1 | -1 = 1;
  private bounds: Bounds = boundsOf([], []);
  private finePass = false;
  private votes = 0;
  private readonly records: RecordLog;
  private readonly recordsPerTensor: number[] = [];
  private cursor: RecordCursor | null = null;
  private provisional = new Float32Array(0);

  /**
   * @param kth 1-based rank of the threshold among the d magnitudes of each task.
   * @param maxBoundary how many boundary magnitudes the merge pass may record before pass 1 is needed.
   * @param recordsPerChunk records kept in memory; more go to a temporary file.
   */
  constructor(
    private readonly taskCount: number,
    kth: number,
    private readonly maxBoundary: number,
    recordsPerChunk = RECORDS_PER_CHUNK,
  ) {
    this.selectors = Array.from({ length: taskCount }, () => new MagnitudeSelector(kth));
    this.records = new RecordLog(taskCount + 1, recordsPerChunk);
  }

  static forParams(taskCount: number, kth: number, floatParams: number): GlobalTrimPlanner {
    const maxBoundary = Math.max(Math.floor(floatParams / RECORDED_FRACTION), RECORDS_PER_CHUNK);
    return new GlobalTrimPlanner(taskCount, kth, maxBoundary);
  }

  /** Whether the merge pass follows pass 0 directly (the thresholds resolved from the records). */
  get recordsBoundary(): boolean {
    return !this.finePass;
  }

  wantsPass(pass: number): boolean {
    return pass === 0 || (pass === 1 && this.finePass);
  }

  /** Pass 0: counts every |τt|; returns the first task whose τ holds NaN/Inf, or −1. */
  countMagnitudes(taus: readonly Float32Array[]): number {
    let bad = -1;
    taus.forEach((tau, t) => {
      if (this.selectors[t].countCoarse(tau) > 0 && bad < 0) bad = t;
    });
    return bad;
  }

  /** Pass 1 (only when the boundary buckets are too full to record): fine counts in them. */
  countFine(taus: readonly Float32Array[]): void {
    taus.forEach((tau, t) => {
      this.selectors[t].countFine(tau);
    });
  }

  endPass(pass: number): void {
    if (pass === 1) {
      this.setExactThresholds();
      return;
    }
    for (const selector of this.selectors) selector.endCoarse();
    const boundary = this.selectors.reduce((sum, s) => sum + s.bucketCount(), 0);
    this.finePass = boundary > this.maxBoundary;
    this.bounds = boundsOf(
      this.selectors.map((s) => bitsToFloat(s.bucket << 16)),
      this.selectors.map((s) => bitsToFloat((s.bucket + 1) << 16)),
    );
  }

  private setExactThresholds(): void {
    this.thresholds = this.selectors.map((s) => s.endFine());
    this.bounds = boundsOf(this.thresholds, this.thresholds);
  }

  /**
   * The merge pass: θ0 + λ·merged where decided, θ0 where provisional (recorded for `finalize`). The
   * result is a view of a reused buffer, valid until the next call.
   */
  mergeProvisional(pretrained: Float32Array, deltas: TaskDeltas, p: TiesMergeOptions): Float32Array {
    if (this.provisional.length < pretrained.length) this.provisional = new Float32Array(pretrained.length);
    const out = this.provisional.subarray(0, pretrained.length);
    const before = this.records.count;
    const record = (i: number) => this.record(deltas, i);
    this.votes +=
      p.merge_func === 'sum'
        ? mergeDecidedSum(pretrained, deltas, this.bounds, p.scaling_factor, out, record)
        : mergeDecided(pretrained, deltas, this.bounds, p, out, record);
    this.recordsPerTensor.push(this.records.count - before);
    return out;
  }

  private record({ base, arrays }: TaskDeltas, i: number): void {
    const at = this.records.append(i);
    const words = this.records.words;
    for (let t = 0; t < arrays.length; t++) words[at + 1 + t] = arrays[t][i] - base[i];
  }

  /** After the merge pass: the exact thresholds (from the records, unless pass 1 ran) and the majority. */
  finishMerge(): void {
    if (this.thresholds.length === 0 && this.bounds.lows.length > 0) {
      this.records.forEachChunk((bits, count) => this.countRecordedBoundary(bits, count));
      this.setExactThresholds();
    }
    const thresholds = Float64Array.from(this.thresholds);
    let votes = 0;
    this.records.forEachChunk((_bits, count, words) => {
      votes += recordedVotes(words, count, thresholds);
    });
    this.votes += votes;
    this.majority = this.votes < 0 ? -1 : 1;
    this.cursor = this.records.cursor();
  }

  /** Fine counts of the boundary magnitudes of `count` records. */
  private countRecordedBoundary(bits: Uint32Array, count: number): void {
    const width = this.taskCount + 1;
    for (let t = 0; t < this.taskCount; t++) {
      const selector = this.selectors[t];
      const bucket = selector.bucket;
      for (let at = 1 + t; at < count * width; at += width) {
        const magnitude = bits[at] & 0x7fffffff;
        if (magnitude >>> 16 === bucket) selector.countFineBits(magnitude);
      }
    }
  }

  /** Rewrites the provisional entries of the next tensor (in merge order) with their final values. */
  finalize(values: Float32Array, p: TiesMergeOptions): void {
    const cursor = this.cursor!;
    const count = this.recordsPerTensor.shift() ?? 0;
    const taus = new Float64Array(this.taskCount);
    for (let r = 0; r < count; r++) {
      const at = cursor.next();
      const i = cursor.bits[at];
      for (let t = 0; t < this.taskCount; t++) taus[t] = cursor.words[at + 1 + t];
      values[i] =
        values[i] + p.scaling_factor * mergeKept(taus, this.thresholds, this.majority, p.merge_func);
    }
  }

  dispose(): void {
    this.records.dispose();
  }
}

/**
 * Decides what it can of one tensor: out = θ0 + λ·merged for entries whose magnitudes all lie outside
 * [lows, highs) and whose result does not hang on the majority; calls `record` for the others and writes
 * θ0 there. Returns the votes, sign(Σt kept τt), of the decided entries.
 */
function mergeDecided(
  pretrained: Float32Array,
  { base, arrays }: TaskDeltas,
  { lows, lowMids, highs }: Bounds,
  { scaling_factor: lambda, merge_func: func }: TiesMergeOptions,
  out: Float32Array,
  record: (i: number) => void,
): number {
  const count = arrays.length;
  let votes = 0;
  for (let i = 0; i < out.length; i++) {
    const b = base[i];
    let total = 0;
    let positive = 0;
    let negative = 0;
    let positiveCount = 0;
    let negativeCount = 0;
    let positiveMax = 0;
    let negativeMax = 0;
    let decided = true;
    for (let t = 0; t < count; t++) {
      const difference = arrays[t][i] - b;
      // Below the midpoint under lows[t], |τ| rounds to float32 below lows[t]: trimmed without rounding.
      if (Math.abs(difference) < lowMids[t]) continue;
      const v = Math.fround(difference);
      const magnitude = Math.abs(v);
      if (magnitude < lows[t]) continue;
      if (magnitude < highs[t]) {
        decided = false;
        break;
      }
      total += v;
      if (v > 0) {
        positive += v;
        positiveCount++;
        if (v > positiveMax) positiveMax = v;
      } else if (v < 0) {
        negative += v;
        negativeCount++;
        if (-v > negativeMax) negativeMax = -v;
      }
    }
    const theta = pretrained[i];
    out[i] = theta;
    if (!decided) record(i);
    else if (total !== 0) {
      votes += total > 0 ? 1 : -1;
      const merged = pick(
        func,
        total > 0,
        positive,
        negative,
        positiveCount,
        negativeCount,
        positiveMax,
        negativeMax,
      );
      out[i] = theta + lambda * merged;
    } else {
      const up =
        theta +
        lambda * pick(func, true, positive, negative, positiveCount, negativeCount, positiveMax, negativeMax);
      const down =
        theta +
        lambda *
          pick(func, false, positive, negative, positiveCount, negativeCount, positiveMax, negativeMax);
      if (Object.is(Math.fround(up), Math.fround(down))) out[i] = up;
      else record(i);
    }
  }
  return votes;
}

/** mergeDecided for merge_func 'sum' (the default), with only the accumulators it needs. */
function mergeDecidedSum(
  pretrained: Float32Array,
  { base, arrays }: TaskDeltas,
  { lows, lowMids, highs }: Bounds,
  lambda: number,
  out: Float32Array,
  record: (i: number) => void,
): number {
  const count = arrays.length;
  let votes = 0;
  for (let i = 0; i < out.length; i++) {
    const b = base[i];
    let total = 0;
    let positive = 0;
    let negative = 0; // a kept 0 (threshold 0) adds ±0 here: no change
    let decided = true;
    for (let t = 0; t < count; t++) {
      const difference = arrays[t][i] - b;
      // Below the midpoint under lows[t], |τ| rounds to float32 below lows[t]: trimmed without rounding.
      if (Math.abs(difference) < lowMids[t]) continue;
      const v = Math.fround(difference);
      const magnitude = Math.abs(v);
      if (magnitude < lows[t]) continue;
      if (magnitude < highs[t]) {
        decided = false;
        break;
      }
      total += v;
      if (v > 0) positive += v;
      else negative += v;
    }
    const theta = pretrained[i];
    out[i] = theta;
    if (decided && total > 0) {
      votes++;
      out[i] = theta + lambda * positive;
    } else if (decided && total < 0) {
      votes--;
      out[i] = theta + lambda * negative;
    } else if (decided && positive === 0 && negative === 0) out[i] = theta + lambda * positive;
    else record(i);
  }
  return votes;
}

/** The merged value of the sign `up` (+ or −) by `func`, from the kept entries of each sign. */
function pick(
  func: MergeFunc,
  up: boolean,
  positive: number,
  negative: number,
  positiveCount: number,
  negativeCount: number,
  positiveMax: number,
  negativeMax: number,
): number {
  if (func === 'sum') return up ? positive : negative;
  if (func === 'mean')
    return up ? positive / Math.max(positiveCount, 1) : negative / Math.max(negativeCount, 1);
  return up ? positiveMax : -negativeMax;
}

/** Σ over `count` records of sign(Σt kept τt), in task order. */
function recordedVotes(words: Float32Array, count: number, thresholds: Float64Array): number {
  const width = thresholds.length + 1;
  let votes = 0;
  for (let at = 0; at < count * width; at += width) {
    let kept = 0;
    for (let t = 0; t < thresholds.length; t++) {
      const v = words[at + 1 + t];
      if (Math.abs(v) >= thresholds[t]) kept += v;
    }
    votes += kept > 0 ? 1 : kept < 0 ? -1 : 0;
  }
  return votes;
}

/** One entry of Ties from its T task-vector values: trim, elect (ties to `tieSign`), disjoint merge. */
export function mergeKept(
  taus: ArrayLike<number>,
  thresholds: ArrayLike<number>,
  tieSign: 1 | -1,
  func: MergeFunc,
): number {
  let total = 0;
  let positive = 0;
  let negative = 0;
  let positiveCount = 0;
  let negativeCount = 0;
  let positiveMax = 0;
  let negativeMax = 0;
  for (let t = 0; t < taus.length; t++) {
    const v = taus[t];
    if (Math.abs(v) < thresholds[t]) continue;
    total += v;
    if (v > 0) {
      positive += v;
      positiveCount++;
      positiveMax = Math.max(positiveMax, v);
    } else if (v < 0) {
      negative += v;
      negativeCount++;
      negativeMax = Math.max(negativeMax, -v);
    }
  }
  const up = (total > 0 ? 1 : total < 0 ? -1 : tieSign) > 0;
  return pick(func, up, positive, negative, positiveCount, negativeCount, positiveMax, negativeMax);
}

/** Σ over entries of sign(Σt kept τt), kept meaning |τt| ≥ thresholds[t]: the majority vote of Ties. */
export function keptVotes({ base, arrays }: TaskDeltas, thresholds: readonly number[]): number {
  let votes = 0;
  for (let i = 0; i < base.length; i++) {
    const b = base[i];
    let kept = 0;
    for (let t = 0; t < arrays.length; t++) {
      const v = Math.fround(arrays[t][i] - b);
      if (Math.abs(v) >= thresholds[t]) kept += v;
    }
    votes += kept > 0 ? 1 : kept < 0 ? -1 : 0;
  }
  return votes;
}
