/**
 * Ties' global statistics in bounded memory: per task, the exact trim threshold over ALL float
 * parameters, and the majority sign (the sign of Σ over every entry of sign(Σt trimmed τt)) that breaks
 * zero-sign ties.
 *
 * Pass 0 counts the high 16 bits of every |τt| (MagnitudeSelector). Pass 1 counts the low bits inside
 * each task's boundary bucket and, at the same time, casts the sign votes: an entry whose magnitudes all
 * lie outside the boundary buckets is kept or trimmed for sure, so its vote is known; an entry with a
 * magnitude inside a boundary bucket waits, its T values stored (at most Σt |bucket t| entries, known
 * after pass 0), until the thresholds are exact. If that store would exceed STORE_BUDGET_BYTES, pass 2
 * recasts every vote with the exact thresholds instead. Each pass sees the same task vectors.
 */
import { WemoeError } from '../errors.js';
import { bitsView, MagnitudeSelector } from './magnitude-select.js';

const STORE_BUDGET_BYTES = 128 * 1024 * 1024;
const MAGNITUDE_MASK = 0x7fffffff;

export class GlobalTrimPlanner {
  private readonly selectors: MagnitudeSelector[];
  thresholds: number[] = [];
  majority: 1 | -1 = 1;
  private votes = 0;
  private pending: Float32Array | null = null;
  private pendingCount = 0;
  private recastVotes = false;

  constructor(
    private readonly taskCount: number,
    kth: number,
    private readonly storeBudgetBytes = STORE_BUDGET_BYTES,
  ) {
    this.selectors = Array.from({ length: taskCount }, () => new MagnitudeSelector(kth));
  }

  wantsPass(pass: number): boolean {
    return pass < 2 || (pass === 2 && this.recastVotes);
  }

  observe(pass: number, taus: readonly Float32Array[]): void {
    if (pass === 0) {
      taus.forEach((tau, t) => {
        this.selectors[t].countCoarse(tau);
      });
    } else if (pass === 1) this.castKnownVotes(taus);
    else this.votes += keptVotes(taus, this.thresholds);
  }

  endPass(pass: number): void {
    if (pass === 0) {
      for (const selector of this.selectors) selector.endCoarse();
      const capacity = this.selectors.reduce((sum, s) => sum + s.bucketCount(), 0);
      this.recastVotes = capacity * this.taskCount * 4 > this.storeBudgetBytes;
      if (!this.recastVotes) this.pending = new Float32Array(capacity * this.taskCount);
    } else if (pass === 1) {
      this.thresholds = this.selectors.map((s) => s.endFine());
      if (this.recastVotes) this.votes = 0;
      else this.votes += this.resolvePending();
      this.pending = null;
    }
    if (pass === 1 || pass === 2) this.majority = this.votes < 0 ? -1 : 1;
  }

  /** Pass 1: fine counts in the boundary buckets; votes of the entries already decided; store the rest. */
  private castKnownVotes(taus: readonly Float32Array[]): void {
    const n = taus.length > 0 ? taus[0].length : 0;
    const bits = taus.map(bitsView);
    const buckets = this.selectors.map((s) => s.bucket);
    for (let i = 0; i < n; i++) {
      let kept = 0;
      let waiting = false;
      for (let t = 0; t < bits.length; t++) {
        const magnitude = bits[t][i] & MAGNITUDE_MASK;
        const high = magnitude >>> 16;
        if (high > buckets[t]) kept += taus[t][i];
        else if (high === buckets[t]) {
          waiting = true;
          this.selectors[t].countFineBits(magnitude);
        }
      }
      if (!waiting) this.votes += Math.sign(kept);
      else if (this.pending) this.storePending(taus, i);
    }
  }

  private storePending(taus: readonly Float32Array[], i: number): void {
    const pending = this.pending!;
    const base = this.pendingCount * this.taskCount;
    if (base + this.taskCount > pending.length) {
      throw new WemoeError(
        'ties: the task vectors changed between passes (more boundary entries than counted)',
      );
    }
    for (let t = 0; t < this.taskCount; t++) pending[base + t] = taus[t][i];
    this.pendingCount++;
  }

  private resolvePending(): number {
    const pending = this.pending!;
    let votes = 0;
    for (let e = 0; e < this.pendingCount; e++) {
      let sum = 0;
      for (let t = 0; t < this.taskCount; t++) {
        const v = pending[e * this.taskCount + t];
        if (Math.abs(v) >= this.thresholds[t]) sum += v;
      }
      votes += sum > 0 ? 1 : sum < 0 ? -1 : 0;
    }
    return votes;
  }
}

/** Σ over entries of sign(Σt kept τt), kept meaning |τt| ≥ thresholds[t]: the majority vote of Ties. */
export function keptVotes(taus: readonly Float32Array[], thresholds: readonly number[]): number {
  const n = taus.length > 0 ? taus[0].length : 0;
  let votes = 0;
  for (let i = 0; i < n; i++) {
    let kept = 0;
    for (let t = 0; t < taus.length; t++) {
      const v = taus[t][i];
      if (Math.abs(v) >= thresholds[t]) kept += v;
    }
    votes += Math.sign(kept);
  }
  return votes;
}
