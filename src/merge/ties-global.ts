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
 * count. The few entries with several undecided τt are kept whole and voted after the pass; should they
 * exceed a budget (magnitudes that repeat a lot), pass 2 counts every vote again with the thresholds.
 */
import { bitsToFloat, floatBits, MagnitudeSelector } from './magnitude-select.js';
import { type TaskDeltas, tiesVotes } from './ties-entries.js';

const FINE = 1 << 16;
/** Entries with several undecided τt kept for their votes, at most (T float32 each: 32 MB for 8 tasks). */
const MAX_HELD = 1 << 20;
/** Entries whose τ pass 0 makes at a time, in a buffer small enough to stay in cache. */
const BLOCK = 4096;

export class GlobalTrim {
  private readonly selector: MagnitudeSelector;
  /** Per task, the exact thresholds, known after the passes (`finish`). */
  thresholds = new Float64Array(0);
  private votes = 0;
  /** Per task and low 16 bits: the vote an entry gains when its undecided τt is kept. */
  private readonly keptGain: Float64Array;
  /** Per task, the τt of the entries held for their votes (several undecided τt). */
  private held: Float32Array[];
  private heldCount = 0;
  private heldOverflow = false;
  private pass = 0;
  private resolved = false;
  private readonly block = new Float32Array(BLOCK);
  private readonly blockBits = new Uint32Array(this.block.buffer);

  /** @param maxHeld entries with several undecided τt kept before pass 2 is needed instead. */
  constructor(
    private readonly tasks: number,
    kth: number,
    private readonly maxHeld = MAX_HELD,
  ) {
    this.selector = new MagnitudeSelector(kth, tasks);
    this.keptGain = new Float64Array(tasks * FINE);
    this.held = Array.from({ length: tasks }, () => new Float32Array(1024));
  }

  /** Passes before the merge pass: 2, or 3 when the held entries overflowed in pass 1. */
  get passes(): number {
    return this.heldOverflow ? 3 : 2;
  }

  /** The sign of the total vote; 0 when the votes cancel (FusionBench then leaves zero signs 0). */
  get majority(): -1 | 0 | 1 {
    return this.votes > 0 ? 1 : this.votes < 0 ? -1 : 0;
  }

  /** Counts one tensor's τ in pass `pass` (every float tensor once per pass, passes in order). */
  observe(pass: number, deltas: TaskDeltas): void {
    if (pass !== this.pass) this.endPass(pass);
    if (pass === 0) this.countCoarse(deltas);
    else if (pass === 1) this.countFineAndVotes(deltas);
    else this.votes += tiesVotes(deltas, this.thresholds);
  }

  /** The first task whose τ held NaN or ±Inf in pass 0 so far, or −1. */
  nonFiniteTask(): number {
    return this.pass === 0 ? this.selector.nonFiniteRow() : -1;
  }

  private endPass(next: number): void {
    this.pass = next;
    if (next === 1) this.selector.endCoarse();
    else {
      this.resolveThresholds();
      // Pass 2 counts every vote again.
      this.votes = 0;
    }
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
    const n = this.heldCount;
    const held = { base: new Float32Array(n), arrays: this.held.map((tau) => tau.subarray(0, n)) };
    this.votes += tiesVotes(held, this.thresholds);
  }

  /** τt = float32(θt − θ0) a block at a time, its bit patterns counted. */
  private countCoarse({ base, arrays }: TaskDeltas): void {
    const { block, blockBits } = this;
    for (let start = 0; start < base.length; start += BLOCK) {
      const n = Math.min(BLOCK, base.length - start);
      arrays.forEach((array, t) => {
        for (let j = 0; j < n; j++) block[j] = array[start + j] - base[start + j];
        this.selector.countCoarse(blockBits, n, t);
      });
    }
  }

  private countFineAndVotes(deltas: TaskDeltas): void {
    const { base, arrays } = deltas;
    const { tasks, keptGain, selector } = this;
    // The boundary bucket of task t holds the magnitudes in [lows[t], highs[t]).
    const lows = Float64Array.from(selector.buckets, (b) => bitsToFloat(b << 16));
    const highs = Float64Array.from(selector.buckets, (b) => bitsToFloat((b + 1) << 16));
    for (let i = 0; i < base.length; i++) {
      const b = base[i];
      // Sums in task order with the undecided τt trimmed (decided) and kept (withUndecided).
      let decided = 0;
      let withUndecided = 0;
      let undecided = 0;
      let last = 0;
      for (let t = 0; t < tasks; t++) {
        const v = Math.fround(arrays[t][i] - b);
        const magnitude = Math.abs(v);
        if (magnitude < lows[t]) continue;
        withUndecided += v;
        if (magnitude >= highs[t]) decided += v;
        else {
          const bits = floatBits(magnitude);
          selector.countFineOne(t, bits);
          undecided++;
          last = t * FINE + (bits & 0xffff);
        }
      }
      const vote = decided > 0 ? 1 : decided < 0 ? -1 : 0;
      if (undecided === 0) this.votes += vote;
      else if (undecided === 1) {
        this.votes += vote;
        keptGain[last] += (withUndecided > 0 ? 1 : withUndecided < 0 ? -1 : 0) - vote;
      } else this.hold(deltas, i);
    }
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
