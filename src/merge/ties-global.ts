/**
 * Ties' global trim in bounded memory: per task, the exact k-th smallest |τt| over ALL float parameters
 * (the threshold), and the majority sign (the sign of Σ over every entry of sign(Σt kept τt)), from passes
 * over the models before the merge pass.
 *
 * A bracket pass (ties-bracket.ts) counts a sample of the |τt| by their high 16 bits: each threshold then
 * lies, give or take the sampling error, in a few buckets, the bracket. A fine pass counts exactly, per
 * task, the |τt| above the bracket and those inside it by their bits, which pins the threshold when it
 * lies in the bracket; when it does not (a sample that misled), an exact bracket pass and a fine pass
 * follow, so a bad sample costs time, never exactness.
 *
 * The fine pass counts the votes at once: τt above the bracket is kept, below it trimmed, inside it
 * undecided until the pass ends. An entry with one undecided τt has two possible votes; the difference is
 * added to a count per task indexed by that τt's bits, so that once the threshold is known, the votes of
 * the entries whose τt is kept are a sum over that count. The few entries with several undecided τt are
 * kept whole and voted after the pass; should they exceed a budget (magnitudes that repeat a lot), a last
 * pass counts every vote again with the thresholds.
 */
import { bitsToFloat, floatBits } from './magnitude-select.js';
import { BracketSample } from './ties-bracket.js';
import { GROUP, padToGroups, type TaskDeltas, tiesVotes } from './ties-entries.js';

/** The bracket pass samples 1 in SAMPLE_SHARE runs of entries on models of SAMPLE_FROM parameters or more. */
const SAMPLE_SHARE = 16;
const SAMPLE_FROM = 1 << 22;
/** Entries with several undecided τt kept for their votes, at most (T float32 each: 32 MB for 8 tasks). */
const MAX_HELD = 1 << 20;
/** Entries counted at a time: their sums stay in the L1 cache while every task is added. */
const BLOCK = 1024;

type Phase = 'bracket' | 'fine' | 'votes';

export class GlobalTrim {
  /** Per task, the exact thresholds, known after the passes (`finish`). */
  thresholds = new Float64Array(0);
  /** The passes, in order; a fine pass that misses its bracket, or holds too many entries, adds more. */
  private readonly phases: Phase[] = ['bracket', 'fine'];
  private pass = -1;
  private sample: BracketSample;
  /** Entries of one model seen in the current pass (all of them: d, after the first). */
  private seen = 0;
  private entries = 0;
  /** Per task, the bracket's first bucket; all tasks' brackets are `width` buckets wide. */
  private firstBucket: Int32Array = new Int32Array(0);
  private width = 1;
  /** Per task, the bracket's bounds, [lows[t], highs[t]) (padding tasks: empty, at +Inf). */
  private lows = new Float64Array(0);
  private highs = new Float64Array(0);
  private origins = new Float64Array(0);
  /** Per task, the |τt| above the bracket, and inside it by their bits. */
  private readonly above: Float64Array;
  private fine = new Float64Array(0);
  /** Per task and bits in the bracket: the vote an entry gains when its undecided τt is kept. */
  private keptGain = new Float64Array(0);
  private votes = 0;
  /** Per task, the τt of the entries held for their votes (several undecided τt). */
  private held: Float32Array[] = [];
  private heldCount = 0;
  private heldOverflow = false;
  /** The first task whose τ held NaN or ±Inf in the tensor observed last, or −1. */
  private badTask = -1;
  private readonly sums = {
    decided: new Float64Array(BLOCK),
    withUndecided: new Float64Array(BLOCK),
    undecided: new Int32Array(BLOCK),
    last: new Int32Array(BLOCK),
    pending: new Int32Array(BLOCK),
  };

  /**
   * @param kth the 1-based rank of the thresholds among the d magnitudes of each task.
   * @param maxHeld entries with several undecided τt kept before a votes pass is needed instead.
   * @param sampleShare 1 in `sampleShare` runs of entries counted by the first bracket pass (1: all).
   */
  constructor(
    private readonly tasks: number,
    private readonly kth: number,
    private readonly maxHeld = MAX_HELD,
    sampleShare = 1,
  ) {
    this.sample = new BracketSample(tasks, sampleShare);
    this.above = new Float64Array(tasks);
  }

  /** The first bracket pass samples 1 in 16 runs of entries when the models have `floatParams` or more. */
  static forModels(tasks: number, kth: number, floatParams: number): GlobalTrim {
    return new GlobalTrim(tasks, kth, MAX_HELD, floatParams >= SAMPLE_FROM ? SAMPLE_SHARE : 1);
  }

  /** Passes before the merge pass: 2, more when the fine pass missed its bracket or held too many entries. */
  get passes(): number {
    return this.phases.length;
  }

  /** The sign of the total vote; 0 when the votes cancel (FusionBench then leaves zero signs 0). */
  get majority(): -1 | 0 | 1 {
    return this.votes > 0 ? 1 : this.votes < 0 ? -1 : 0;
  }

  /** Counts one tensor's τ in pass `pass` (every float tensor once per pass, passes in order). */
  observe(pass: number, deltas: TaskDeltas): void {
    if (pass !== this.pass) this.startPass(pass);
    this.badTask = -1;
    const phase = this.phases[pass];
    if (phase === 'bracket') this.sample.count(deltas);
    else if (phase === 'fine') this.countFineAndVotes(deltas);
    else this.votes += tiesVotes(deltas, this.thresholds);
    this.seen += deltas.base.length;
    if (phase === 'fine' && this.seen === this.entries) this.endFine();
  }

  /** The first task whose τ held NaN or ±Inf in the tensor observed last, or −1. */
  nonFiniteTask(): number {
    return this.badTask;
  }

  /** Ends the passes: the thresholds and the majority are final after it. */
  finish(): void {
    if (this.thresholds.length !== this.tasks) throw new RangeError('ties: the trim passes did not end');
  }

  private startPass(pass: number): void {
    if (this.pass === 0) this.entries = this.seen;
    this.pass = pass;
    this.seen = 0;
    const phase = this.phases[pass];
    if (phase === 'bracket') {
      // A bracket pass after the first counts every entry.
      if (pass > 0) this.sample = new BracketSample(this.tasks, 1);
    } else if (phase === 'fine') this.startFine();
    else this.votes = 0;
  }

  /** Brackets each task's threshold from the bracket pass's counts; clears the fine pass's counts. */
  private startFine(): void {
    const { kth, entries } = this;
    if (kth < 1 || kth > entries) throw new RangeError(`ties: rank ${kth} is outside 1..${entries}`);
    ({ firstBucket: this.firstBucket, width: this.width } = this.sample.brackets(kth, entries));
    const padded = Math.ceil(this.tasks / GROUP) * GROUP;
    this.lows = new Float64Array(padded).fill(Number.POSITIVE_INFINITY);
    this.highs = new Float64Array(padded).fill(Number.POSITIVE_INFINITY);
    this.firstBucket.forEach((b, t) => {
      this.lows[t] = bitsToFloat(b << 16);
      this.highs[t] = bitsToFloat((b + this.width) << 16);
    });
    // fine[origins[t] + bits of |τt|] counts |τt| inside task t's bracket.
    this.origins = Float64Array.from(this.firstBucket, (b, t) => t * this.width * 65536 - (b << 16));
    this.above.fill(0);
    this.fine = new Float64Array(this.tasks * this.width * 65536);
    this.keptGain = new Float64Array(this.tasks * this.width * 65536);
    this.votes = 0;
    this.held = Array.from({ length: this.tasks }, () => new Float32Array(1024));
    this.heldCount = 0;
    this.heldOverflow = false;
  }

  /**
   * Per entry, each τt is trimmed below its task's bracket, kept above it, undecided inside it (counted by
   * its bits); the entry votes, or gains a vote in `keptGain`, or is held. The tasks are added to the
   * block's sums GROUP at a time, with comparisons taken as numbers, 0 or 1, and no branch on the data
   * but the rare one into a bracket.
   */
  private countFineAndVotes(deltas: TaskDeltas): void {
    const { base } = deltas;
    const { decided, withUndecided, undecided, last } = this.sums;
    const arrays = padToGroups(deltas);
    let probe = 0;
    for (let start = 0; start < base.length; start += BLOCK) {
      const end = Math.min(start + BLOCK, base.length);
      decided.fill(0);
      withUndecided.fill(0);
      undecided.fill(0);
      for (let t = 0; t < arrays.length; t += GROUP)
        this.countGroup(t, arrays.slice(t, t + GROUP), base, start, end);
      let votes = 0;
      for (let i = start; i < end; i++) {
        const j = i - start;
        // NaN and ±Inf count as kept: they reach `decided`, and the probe.
        probe += decided[j] - decided[j];
        const vote = +(decided[j] > 0) - +(decided[j] < 0);
        // An entry with no undecided τt votes; one with one votes and gains; one with several is held.
        votes += vote * +(undecided[j] < 2);
        if (undecided[j] === 1) {
          this.keptGain[last[j]] += +(withUndecided[j] > 0) - +(withUndecided[j] < 0) - vote;
        } else if (undecided[j] > 1) this.hold(deltas, i);
      }
      this.votes += votes;
    }
    if (probe !== 0) this.badTask = firstNonFiniteTask(deltas);
  }

  /**
   * Tasks first … first + GROUP − 1 (padding tasks are not counted) of entries [start, end) into the
   * block's sums: each τt adds to `decided` where kept, to `withUndecided` where kept or undecided.
   */
  private countGroup(
    first: number,
    group: Float32Array[],
    base: Float32Array,
    start: number,
    end: number,
  ): void {
    const [a, b, c, d] = group;
    const { decided, withUndecided, pending } = this.sums;
    const [la, lb, lc, ld] = this.lows.subarray(first, first + GROUP);
    const [ha, hb, hc, hd] = this.highs.subarray(first, first + GROUP);
    const above = [0, 0, 0, 0];
    let undecidedEntries = 0;
    for (let i = start; i < end; i++) {
      const x = base[i];
      const va = Math.fround(a[i] - x);
      const vb = Math.fround(b[i] - x);
      const vc = Math.fround(c[i] - x);
      const vd = Math.fround(d[i] - x);
      // Kept: not below the bracket's top (NaN included); not trimmed: not below its bottom.
      const ka = +!(Math.abs(va) < ha);
      const kb = +!(Math.abs(vb) < hb);
      const kc = +!(Math.abs(vc) < hc);
      const kd = +!(Math.abs(vd) < hd);
      const wa = +!(Math.abs(va) < la);
      const wb = +!(Math.abs(vb) < lb);
      const wc = +!(Math.abs(vc) < lc);
      const wd = +!(Math.abs(vd) < ld);
      const j = i - start;
      decided[j] = decided[j] + va * ka + vb * kb + vc * kc + vd * kd;
      withUndecided[j] = withUndecided[j] + va * wa + vb * wb + vc * wc + vd * wd;
      above[0] += ka;
      above[1] += kb;
      above[2] += kc;
      above[3] += kd;
      // Entries with an undecided τt (rare) are counted after the loop, which so holds no call.
      pending[undecidedEntries] = i;
      undecidedEntries += +(wa - ka + wb - kb + wc - kc + wd - kd > 0);
    }
    for (let g = 0; g < GROUP && first + g < this.tasks; g++) {
      this.above[first + g] += above[g];
      for (let p = 0; p < undecidedEntries; p++) {
        const i = pending[p];
        const magnitude = Math.abs(Math.fround(group[g][i] - base[i]));
        if (magnitude >= this.lows[first + g] && magnitude < this.highs[first + g]) {
          this.countUndecided(first + g, magnitude, i - start);
        }
      }
    }
  }

  /** Counts an undecided |τt| by its bits, and marks its entry's (block index j) undecided τt. */
  private countUndecided(t: number, magnitude: number, j: number): void {
    const index = this.origins[t] + floatBits(magnitude);
    this.fine[index]++;
    this.sums.undecided[j]++;
    this.sums.last[j] = index;
  }

  /** After the fine pass: the thresholds and their votes, or one more pair of passes when a bracket missed. */
  private endFine(): void {
    const span = this.width * 65536;
    const thresholds = new Float64Array(this.tasks);
    for (let t = 0; t < this.tasks; t++) {
      const counts = this.fine.subarray(t * span, (t + 1) * span);
      let inside = 0;
      for (let b = 0; b < span; b++) inside += counts[b];
      // The rank of the threshold among the |τt| inside the bracket.
      const rank = this.kth - (this.entries - this.above[t] - inside);
      if (rank < 1 || rank > inside) {
        this.phases.push('bracket', 'fine');
        return;
      }
      let below = 0;
      let index = 0;
      while (below + counts[index] < rank) below += counts[index++];
      thresholds[t] = bitsToFloat((this.firstBucket[t] << 16) + index);
      for (let b = index; b < span; b++) this.votes += this.keptGain[t * span + b];
    }
    this.thresholds = thresholds;
    if (this.heldOverflow) {
      this.phases.push('votes');
      return;
    }
    const n = this.heldCount;
    const held = { base: new Float32Array(n), arrays: this.held.map((tau) => tau.subarray(0, n)) };
    this.votes += tiesVotes(held, this.thresholds);
  }

  /** Keeps entry i's τ for its vote after the pass (or gives up past the budget). */
  private hold({ base, arrays }: TaskDeltas, i: number): void {
    if (this.heldOverflow) return;
    if (this.heldCount === this.maxHeld) {
      this.heldOverflow = true;
      this.held = [];
      return;
    }
    const at = this.heldCount++;
    if (at === this.held[0].length) {
      this.held = this.held.map((tau) => {
        const grown = new Float32Array(2 * tau.length);
        grown.set(tau);
        return grown;
      });
    }
    arrays.forEach((array, t) => {
      this.held[t][at] = array[i] - base[i];
    });
  }
}

/** The first task whose τt = float32(θt − θ0) is NaN or ±Inf somewhere, or −1. */
function firstNonFiniteTask({ base, arrays }: TaskDeltas): number {
  return arrays.findIndex((array) => array.some((v, i) => !Number.isFinite(Math.fround(v - base[i]))));
}
