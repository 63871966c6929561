/**
 * Ties' global trim in bounded memory: per task, the exact k-th smallest |τt| over ALL float parameters
 * (the threshold), and the majority sign (the sign of Σ over every entry of sign(Σt kept τt)), from two
 * passes over the models before the merge pass.
 *
 * Pass 0 counts the high 16 bits of every |τt| (MagnitudeSelector): each task's threshold then lies in a
 * known boundary bucket. Pass 1 counts the low 16 bits inside it, which pins the thresholds, and counts
 * the votes at once: an entry's τt is kept if its bucket lies above the boundary, trimmed if below, and
 * undecided in the boundary bucket until the pass ends. An entry with one undecided τt has two possible
 * votes; the difference is added to a count per task indexed by the τt's low 16 bits, so that when the
 * threshold's low bits J are known, the votes of the entries kept (low bits ≥ J) are a sum over that
 * count. The few entries with several undecided τt (two boundary magnitudes) are kept whole and voted
 * after the pass; should they exceed a budget (magnitudes that repeat a lot), pass 2 counts every vote
 * again with the exact thresholds.
 */
import { floatBits, MagnitudeSelector } from './magnitude-select.js';
import { tiesVotes } from './ties-entries.js';

const FINE = 1 << 16;
/** Entries with several undecided τt kept for their votes, at most (× T float32 each: 32 MB for 8 tasks). */
const MAX_HELD = 1 << 20;

export class GlobalTrim {
  private readonly selector: MagnitudeSelector;
  /** Per task, the exact thresholds, known after pass 1. */
  thresholds = new Float64Array(0);
  private votes = 0;
  /** Per task and low 16 bits: the vote an entry gains when its undecided τt is kept. */
  private readonly keptGain: Float64Array;
  private held: Float32Array;
  private heldCount = 0;
  private heldOverflow = false;
  private pass = 0;
  private resolved = false;

  /** @param maxHeld entries with several undecided τt kept before pass 2 is needed instead. */
  constructor(
    private readonly tasks: number,
    kth: number,
    private readonly maxHeld = MAX_HELD,
  ) {
    this.selector = new MagnitudeSelector(kth, tasks);
    this.keptGain = new Float64Array(tasks * FINE);
    this.held = new Float32Array(tasks * 1024);
  }

  /** Passes before the merge pass: 2, or 3 when the held entries overflowed in pass 1. */
  get passes(): number {
    return this.heldOverflow ? 3 : 2;
  }

  /** The sign of the total vote; 0 when the votes cancel (FusionBench then leaves zero signs 0). */
  get majority(): -1 | 0 | 1 {
    return this.votes > 0 ? 1 : this.votes < 0 ? -1 : 0;
  }

  /** Counts a block of `n` entries of τ interleaved by task (`bits`: the same memory). */
  observe(pass: number, taus: Float32Array, bits: Uint32Array, n: number): void {
    if (pass !== this.pass) this.endPass(pass);
    if (pass === 0) this.selector.countCoarse(bits, n);
    else if (pass === 1) this.countFineAndVotes(taus, bits, n);
    else this.votes += tiesVotes(taus, n, this.thresholds);
  }

  /** The first task whose τ held NaN or ±Inf in pass 0 so far, or −1. */
  nonFiniteTask(): number {
    return this.pass === 0 ? this.selector.nonFiniteRow() : -1;
  }

  private endPass(next: number): void {
    this.pass = next;
    if (next === 1) {
      this.selector.endCoarse();
      return;
    }
    this.resolveThresholds();
    // Pass 2 counts every vote again.
    if (next === 2) this.votes = 0;
  }

  /** Ends the passes: the thresholds and the majority are final after it. */
  finish(): void {
    if (!this.resolved) this.resolveThresholds();
  }

  private resolveThresholds(): void {
    this.resolved = true;
    this.thresholds = Float64Array.from(this.selector.endFine());
    if (this.heldOverflow) return;
    for (let t = 0; t < this.tasks; t++) {
      for (let low = floatBits(this.thresholds[t]) & 0xffff; low < FINE; low++) {
        this.votes += this.keptGain[t * FINE + low];
      }
    }
    this.votes += tiesVotes(this.held, this.heldCount, this.thresholds);
  }

  private countFineAndVotes(taus: Float32Array, bits: Uint32Array, n: number): void {
    const { tasks, keptGain } = this;
    const buckets = this.selector.buckets;
    for (let j = 0, k = 0; j < n; j++) {
      // Sums in task order with the undecided τt trimmed (decided) and kept (withUndecided).
      let decided = 0;
      let withUndecided = 0;
      let undecided = 0;
      let last = 0;
      for (let t = 0; t < tasks; t++, k++) {
        const magnitude = bits[k] & 0x7fffffff;
        const bucket = magnitude >>> 16;
        if (bucket < buckets[t]) continue;
        const v = taus[k];
        withUndecided += v;
        if (bucket > buckets[t]) decided += v;
        else {
          this.selector.countFineOne(t, magnitude);
          undecided++;
          last = t * FINE + (magnitude & 0xffff);
        }
      }
      const vote = decided > 0 ? 1 : decided < 0 ? -1 : 0;
      if (undecided === 0) this.votes += vote;
      else if (undecided === 1) {
        this.votes += vote;
        keptGain[last] += (withUndecided > 0 ? 1 : withUndecided < 0 ? -1 : 0) - vote;
      } else this.hold(taus, k - tasks);
    }
  }

  /** Keeps the T values of τ at `at` for their vote after the pass (or gives up past the budget). */
  private hold(taus: Float32Array, at: number): void {
    if (this.heldOverflow) return;
    if (this.heldCount === this.maxHeld) {
      this.heldOverflow = true;
      this.held = new Float32Array(0);
      return;
    }
    const tasks = this.tasks;
    if ((this.heldCount + 1) * tasks > this.held.length) {
      const grown = new Float32Array(2 * this.held.length);
      grown.set(this.held);
      this.held = grown;
    }
    this.held.set(taus.subarray(at, at + tasks), this.heldCount * tasks);
    this.heldCount++;
  }
}
