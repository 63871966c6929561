/**
 * Ties with the global trim in bounded memory. Per task, the trim threshold is the exact k-th smallest
 * |τt| over ALL float parameters, and the majority sign (the sign of Σ over every entry of
 * sign(Σt trimmed τt)) breaks zero-sign ties.
 *
 * Usually the models are read once: a sample (ties-sample.ts) brackets each threshold in a band of
 * magnitudes (`useBand`), and the merge pass decides every entry whose magnitudes all lie outside the
 * bands, writing its merged value at once, and counts per task the magnitudes above the band; an entry
 * with a magnitude in a band, or whose elected sign is the majority's and matters, is provisional: its
 * T task-vector values go to a record log (in memory up to a budget, then on disk). After the pass the
 * exact thresholds are selected among the recorded magnitudes of each band (the count above it gives
 * their ranks); then the records' votes give the majority, and `finalize` rewrites the provisional
 * entries (on the kernel worker, one tensor ahead of the driver, when they lie in the arena). When a
 * threshold proves to lie outside its band, the merge pass is dropped and run again after pass 0.
 *
 * Without a band (DARE's τ, or a sample that would record too much) the models are read twice: pass 0
 * counts the high 16 bits of every |τt| (MagnitudeSelector), so the threshold lies in a known boundary
 * bucket per task, which plays the band's part in the merge pass; its magnitudes are counted finely as
 * their records are written (every one is in exactly one record: by the kernel's spans when the inputs
 * lie in a kernel arena, else here), which gives the exact thresholds after the pass. When the boundary
 * buckets hold too many entries (magnitudes that repeat, as in DARE's zeros), pass 1 pins the exact
 * thresholds first and only majority-dependent entries are recorded. Every entry, decided or recorded,
 * goes through the one entry kernel (kernels/ties-entries.ts).
 */
import { countDeltaFine, countDeltaMagnitudes } from './kernels/delta-magnitudes.js';
import type { WasmMemory } from './kernels/kernel-memory.js';
import {
  BLOCK,
  type EntryCounts,
  type EntryMerge,
  entryVotes,
  exactTrimBits,
  mergeEntries,
  type TaskDeltas,
  type TrimBits,
} from './kernels/ties-entries.js';
import {
  finalizeRecords,
  finishFinalize,
  hasNonFinite,
  type RecordRuns,
  type RecordsMerge,
  recordsMemory,
  recordVotes,
  startFinalize,
} from './kernels/ties-records-kernel.js';
import { boundaryCounts, MODES } from './kernels/ties-span.js';
import { kthSmallestMagnitude, MagnitudeSelector } from './magnitude-select.js';
import type { MergeFunc } from './ties.js';
import { type RecordCursor, RecordLog } from './ties-records.js';

export type { TaskDeltas } from './kernels/ties-entries.js';

/**
 * Pass 1 pins the thresholds first when the boundary buckets hold more than d / RECORDED_FRACTION
 * magnitudes (and more than one chunk): recording them would cost about as much as reading the models.
 */
const RECORDED_FRACTION = 8;
const RECORDS_PER_CHUNK = 1 << 16;
/** Spilled records kept in memory before they go to a temporary file (ViT-B/32 with 8 tasks: ~60 MB). */
const RECORDS_IN_MEMORY = 128 * 1024 * 1024;

export interface TiesMergeOptions {
  readonly scaling_factor: number;
  readonly merge_func: MergeFunc;
}

const NO_BOUNDS: TrimBits = { lowBits: new Int32Array(0), highBits: new Int32Array(0) };

export class GlobalTrimPlanner {
  private readonly selectors: MagnitudeSelector[];
  /** The exact thresholds, known after pass 1 or `finishMerge`. */
  thresholds: number[] = [];
  majority: 1 | -1 = 1;
  /** Per task, the boundary bucket's bounds after pass 0, the exact thresholds once known. */
  private bounds: TrimBits = NO_BOUNDS;
  private finePass = false;
  private votes = 0;
  private readonly records: RecordLog;
  private readonly recordsPerTensor: number[] = [];
  private cursor: RecordCursor | null = null;
  private provisional = new Float32Array(0);
  private readonly block: RecordBlock;
  /** A kernel memory the records can be read in (that of the merge pass's inputs), if any. */
  private kernelMemory: WasmMemory | null = null;
  /** The values `finalizeAhead` handed to the kernel worker (id null: not started), and their records. */
  private ahead: { values: Float32Array; id: number | null; runs: RecordRuns } | null = null;
  /** After `useBand`: the merge pass's counts, and the magnitudes per task (all float parameters). */
  private band: { counts: EntryCounts; entries: number } | null = null;

  /**
   * @param kth 1-based rank of the threshold among the d magnitudes of each task.
   * @param maxBoundary how many boundary magnitudes the merge pass may record before pass 1 is needed.
   * @param recordsPerChunk records buffered; full buffers are spilled.
   * @param recordsInMemory bytes of spilled records kept in memory; more go to a temporary file.
   */
  constructor(
    private readonly taskCount: number,
    private readonly kth: number,
    private readonly maxBoundary: number,
    recordsPerChunk = RECORDS_PER_CHUNK,
    recordsInMemory = 0,
  ) {
    this.selectors = Array.from({ length: taskCount }, () => new MagnitudeSelector(kth));
    this.records = new RecordLog(taskCount + 1, recordsPerChunk, recordsInMemory);
    this.block = new RecordBlock(taskCount);
  }

  static forParams(taskCount: number, kth: number, floatParams: number): GlobalTrimPlanner {
    const maxBoundary = Math.max(Math.floor(floatParams / RECORDED_FRACTION), RECORDS_PER_CHUNK);
    return new GlobalTrimPlanner(taskCount, kth, maxBoundary, RECORDS_PER_CHUNK, RECORDS_IN_MEMORY);
  }

  /** Whether the merge pass follows pass 0 directly (the thresholds resolved from the records). */
  get recordsBoundary(): boolean {
    return !this.finePass;
  }

  /** How many magnitudes the boundary may hold before the merge pass cannot record them all. */
  get boundaryBudget(): number {
    return this.maxBoundary;
  }

  /**
   * Skips the counting passes: the merge pass runs with each task's threshold taken to lie in `band`
   * (a guess from a sample; see ties-sample.ts) over `entries` magnitudes per task, counting how many lie
   * above it; `finishMerge` checks the guess and resolves the exact thresholds from the records.
   */
  useBand(band: TrimBits, entries: number): void {
    this.bounds = { lowBits: band.lowBits, highBits: band.highBits };
    const counts = { keeps: new Float64Array(this.taskCount), nonFinite: new Float64Array(this.taskCount) };
    this.band = { counts, entries };
  }

  wantsPass(pass: number): boolean {
    if (this.band !== null) return false;
    return pass === 0 || (pass === 1 && this.finePass);
  }

  /** In band mode, the first task whose τ held NaN/Inf in the merge pass so far, or −1. */
  nonFiniteTask(): number {
    return this.band === null ? -1 : this.band.counts.nonFinite.findIndex((count) => count > 0);
  }

  /** Pass 0: counts every |τt|; returns the first task whose τ holds NaN/Inf, or −1. */
  countMagnitudes(deltas: TaskDeltas): number {
    return countDeltaMagnitudes(deltas, this.selectors);
  }

  /** Pass 1 (only when the boundary buckets are too full to record): fine counts in them. */
  countFine(deltas: TaskDeltas): void {
    countDeltaFine(deltas, this.selectors);
  }

  /**
   * Pass 0 or 1 over tasks first, first + 1, … (`deltas` holds those); returns the index in
   * `deltas.arrays` of the first whose τ holds NaN/Inf (seen in pass 0), or −1.
   */
  countTasks(pass: number, first: number, deltas: TaskDeltas): number {
    const selectors = this.selectors.slice(first, first + deltas.arrays.length);
    if (pass === 1) {
      countDeltaFine(deltas, selectors);
      return -1;
    }
    return countDeltaMagnitudes(deltas, selectors);
  }

  endPass(pass: number): void {
    if (pass === 1) {
      this.setExactThresholds();
      return;
    }
    for (const selector of this.selectors) selector.endCoarse();
    const boundary = this.selectors.reduce((sum, s) => sum + s.bucketCount(), 0);
    this.finePass = boundary > this.maxBoundary;
    this.bounds = {
      lowBits: Int32Array.from(this.selectors, (s) => s.bucket << 16),
      highBits: Int32Array.from(this.selectors, (s) => (s.bucket + 1) << 16),
      buckets: this.finePass ? undefined : Int32Array.from(this.selectors, (s) => s.bucket),
    };
  }

  private setExactThresholds(): void {
    this.thresholds = this.selectors.map((s) => s.endFine());
    this.bounds = exactTrimBits(this.thresholds);
  }

  /**
   * The merge pass: θ0 + λ·merged where decided, θ0 where provisional (recorded for `finalize`), into
   * `into` when given, else into a reused buffer (valid until the next call).
   */
  mergeProvisional(
    pretrained: Float32Array,
    deltas: TaskDeltas,
    p: TiesMergeOptions,
    into?: Float32Array,
  ): Float32Array {
    if (into === undefined && this.provisional.length < pretrained.length) {
      this.provisional = new Float32Array(pretrained.length);
    }
    const out = into ?? this.provisional.subarray(0, pretrained.length);
    this.kernelMemory ??= recordsMemory(pretrained.buffer, this.taskCount);
    const before = this.records.count;
    const options = { ...p, tie: 'record' as const };
    const records = {
      one: (i: number) => this.record(deltas, i),
      many: (words: Float32Array, count: number) => this.records.appendMany(words, count),
    };
    this.votes += mergeEntries(pretrained, deltas, this.bounds, options, out, records, this.band?.counts);
    this.recordsPerTensor.push(this.records.count - before);
    return out;
  }

  /** Records entry i, and counts its boundary magnitudes (the spans count those of the records they write). */
  private record({ base, arrays }: TaskDeltas, i: number): void {
    const at = this.records.append(i);
    const words = this.records.words;
    for (let t = 0; t < arrays.length; t++) words[at + 1 + t] = arrays[t][i] - base[i];
    const buckets = this.bounds.buckets;
    if (buckets === undefined) return;
    const bits = this.records.bits;
    for (let t = 0; t < arrays.length; t++) {
      const magnitude = bits[at + 1 + t] & 0x7fffffff;
      if (magnitude >>> 16 === buckets[t]) this.selectors[t].countFineBit(magnitude);
    }
  }

  /**
   * After the merge pass: the exact thresholds (from the records, unless pass 1 ran) and the majority.
   * False when a band from `useBand` missed a threshold: the planner is back at pass 0, and the merge
   * pass must be run again after the counting passes (its records and votes are dropped).
   */
  finishMerge(): boolean {
    if (this.band !== null) {
      const thresholds = this.bandThresholds(this.band.counts.keeps, this.band.entries);
      this.band = null;
      if (thresholds === null) {
        this.restart();
        return false;
      }
      this.thresholds = thresholds;
      this.bounds = exactTrimBits(thresholds);
    } else if (this.thresholds.length === 0 && this.bounds.lowBits.length > 0) {
      if (this.kernelMemory !== null) {
        const counts = boundaryCounts(this.kernelMemory, this.taskCount);
        for (const [t, selector] of this.selectors.entries()) selector.addFineCounts(counts, t << 16);
      }
      this.setExactThresholds();
    }
    this.votes += this.recordedVotes();
    this.majority = this.votes < 0 ? -1 : 1;
    this.cursor = this.records.cursor();
    return true;
  }

  private restart(): void {
    this.bounds = NO_BOUNDS;
    this.votes = 0;
    this.recordsPerTensor.length = 0;
    this.records.clear();
  }

  /**
   * Per task, the exact threshold when it lies in the band: the magnitudes under the band are those
   * neither kept (`keeps`) nor in it, and those in it are all in the records (an entry with one is
   * undecided), gathered here and selected from. Null when a rank falls outside its band.
   */
  private bandThresholds(keeps: Float64Array, entries: number): number[] | null {
    const { lowBits, highBits } = this.bounds;
    const tasks = this.taskCount;
    const width = tasks + 1;
    const gathered = Array.from({ length: tasks }, () => new InBand());
    this.records.forEachChunk((bits, count) => {
      for (let t = 0; t < tasks; t++) gathered[t].gather(bits, 1 + t, width, count, lowBits[t], highBits[t]);
    });
    const inBand = gathered.map((g) => g.values());
    const thresholds: number[] = [];
    for (const [t, magnitudes] of inBand.entries()) {
      const rank = this.kth - (entries - keeps[t] - magnitudes.length);
      if (rank < 1 || rank > magnitudes.length) return null;
      thresholds.push(kthSmallestMagnitude(new Float32Array(magnitudes.buffer, 0, magnitudes.length), rank));
    }
    return thresholds;
  }

  /** Σ sign(Σt kept τt) over the records, under the exact thresholds. */
  private recordedVotes(): number {
    const memory = this.kernelMemory;
    if (memory !== null) {
      let votes = 0;
      const trim = this.recordsMerge({ merge_func: 'sum', scaling_factor: 0 }, 1);
      this.records.forEachChunk((_, count, words) => {
        votes += recordVotes(memory, words, count, trim);
      });
      return votes;
    }
    const block = this.block;
    const width = this.taskCount + 1;
    let votes = 0;
    block.clear();
    this.records.forEachChunk((bits, count, words) => {
      for (let r = 0; r < count; r++) {
        block.add(bits, words, r * width, 0);
        if (block.n === BLOCK || r === count - 1) {
          votes += entryVotes(block.deltas(), this.bounds);
          block.clear();
        }
      }
    });
    return votes;
  }

  private recordsMerge(p: TiesMergeOptions, tie: 1 | -1): RecordsMerge {
    return { thresholdBits: this.bounds.highBits, mode: MODES[p.merge_func], lambda: p.scaling_factor, tie };
  }

  /**
   * Starts making the values of the next tensor (in merge order) final on the kernel worker, when they
   * lie in a kernel memory; `finalize` must be called with them next. False when not started.
   */
  finalizeAhead(values: Float32Array, p: TiesMergeOptions): boolean {
    if (this.ahead !== null || recordsMemory(values.buffer, this.taskCount) === null) return false;
    const runs = this.nextRuns();
    const id = startFinalize(values, runs, this.recordsMerge(p, this.majority));
    this.ahead = { values, id, runs };
    return true;
  }

  /**
   * Makes the values of the next tensor (in merge order) final, in place: in the kernel memory they lie
   * in, else a block at a time from here. Returns whether they are all finite, or undefined when not
   * checked (the caller checks).
   */
  finalize(values: Float32Array, p: TiesMergeOptions): boolean | undefined {
    const ahead = this.ahead;
    this.ahead = null;
    if (ahead !== null && ahead.values !== values) throw new RangeError('ties: finalize out of order');
    if (ahead?.id != null) return finishFinalize(values, ahead.id);
    const runs = ahead?.runs ?? this.nextRuns();
    if (recordsMemory(values.buffer, this.taskCount) !== null) {
      const merge = this.recordsMerge(p, this.majority);
      for (const { words, count } of runs) finalizeRecords(values, words, count, merge);
      return !hasNonFinite(values);
    }
    for (const { words, count } of runs) this.finalizeBlocks(values, words, count, p);
    return undefined;
  }

  /** The records of the next tensor, as runs (copied but for the last: the cursor reuses its buffer). */
  private nextRuns(): RecordRuns {
    const width = this.taskCount + 1;
    const runs: { words: Float32Array; count: number }[] = [];
    for (let left = this.recordsPerTensor.shift() ?? 0; left > 0; ) {
      const { words, at, count } = this.cursor!.nextRun(left);
      left -= count;
      const run = words.subarray(at, at + count * width);
      runs.push({ words: left > 0 ? run.slice() : run, count });
    }
    return runs;
  }

  /** values[index] of `count` records = θ0 + λ·merged, a block of records at a time. */
  private finalizeBlocks(
    values: Float32Array,
    words: Float32Array,
    count: number,
    p: TiesMergeOptions,
  ): void {
    const block = this.block;
    const bits = new Uint32Array(words.buffer, words.byteOffset, words.length);
    const options = { ...p, tie: this.majority };
    for (let r = 0; r < count; ) {
      block.clear();
      for (; r < count && block.n < BLOCK; r++) {
        const at = r * (this.taskCount + 1);
        block.add(bits, words, at, values[bits[at]]);
      }
      block.mergeInto(values, this.bounds, options);
    }
  }

  dispose(): void {
    this.records.dispose();
  }
}

/** The magnitude bits of one task's records that lie in its band, in a buffer that grows. */
class InBand {
  private buffer = new Uint32Array(1 << 12);
  private length = 0;

  /** Keeps the magnitude bits of word `word` of `count` records (`width` words each) in [low, high). */
  gather(bits: Uint32Array, word: number, width: number, count: number, low: number, high: number): void {
    if (this.buffer.length - this.length < count) {
      const grown = new Uint32Array(Math.max(2 * this.buffer.length, this.length + count));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    const buffer = this.buffer;
    let at = this.length;
    for (let i = word, end = word + count * width; i < end; i += width) {
      const magnitude = bits[i] & 0x7fffffff;
      if (magnitude >= low && magnitude < high) buffer[at++] = magnitude;
    }
    this.length = at;
  }

  values(): Uint32Array {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * Up to BLOCK records laid out for the entry kernel: each task's τ values in its own array, zeros as the
 * base, the entries' provisional values (θ0) and their indices.
 */
class RecordBlock {
  n = 0;
  private readonly taus: Float32Array[];
  private readonly zeros = new Float32Array(BLOCK);
  private readonly thetas = new Float32Array(BLOCK);
  private readonly merged = new Float32Array(BLOCK);
  private readonly indices = new Int32Array(BLOCK);

  constructor(private readonly taskCount: number) {
    this.taus = Array.from({ length: taskCount }, () => new Float32Array(BLOCK));
  }

  clear(): void {
    this.n = 0;
  }

  /** Adds the record at `at` (index in `bits`, then T τ values in `words`) with its provisional value. */
  add(bits: Uint32Array, words: Float32Array, at: number, theta: number): void {
    const j = this.n++;
    this.indices[j] = bits[at];
    for (let t = 0; t < this.taskCount; t++) this.taus[t][j] = words[at + 1 + t];
    this.thetas[j] = theta;
  }

  deltas(): TaskDeltas {
    return { base: this.zeros.subarray(0, this.n), arrays: this.taus.map((tau) => tau.subarray(0, this.n)) };
  }

  /** values[index] = θ0 + λ·merged of each record, every entry decided by exact thresholds. */
  mergeInto(values: Float32Array, bounds: TrimBits, options: EntryMerge): void {
    const merged = this.merged.subarray(0, this.n);
    mergeEntries(this.thetas.subarray(0, this.n), this.deltas(), bounds, options, merged);
    for (let j = 0; j < this.n; j++) values[this.indices[j]] = merged[j];
  }
}

/** Σ over entries of sign(Σt kept τt), kept meaning |τt| ≥ thresholds[t]: the majority vote of Ties. */
export function keptVotes(deltas: TaskDeltas, thresholds: readonly number[]): number {
  return entryVotes(deltas, exactTrimBits(thresholds));
}
