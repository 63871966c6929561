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
 *
 * Passes 1 and 2 take the task vectors as TaskDeltas (τt = arrays[t] − base, rounded to float32) so that
 * plain Ties reads τ straight from the experts without materializing it.
 */
import { WemoeError } from '../errors.js';
import { bitsToFloat, MagnitudeSelector } from './magnitude-select.js';

const STORE_BUDGET_BYTES = 128 * 1024 * 1024;

/** The task vectors of one tensor as τt = float32(arrays[t] − base): experts and θ0, or DARE's τ and zeros. */
export interface TaskDeltas {
  readonly base: Float32Array;
  readonly arrays: readonly Float32Array[];
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

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

  /** Pass 0, with the task vectors themselves. */
  countMagnitudes(taus: readonly Float32Array[]): void {
    taus.forEach((tau, t) => {
      this.selectors[t].countCoarse(tau);
    });
  }

  /** Passes 1 and 2. */
  observeDeltas(pass: number, deltas: TaskDeltas): void {
    if (pass === 1) this.castKnownVotes(deltas);
    else this.votes += keptVotes(deltas, this.thresholds);
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
  private castKnownVotes({ base, arrays }: TaskDeltas): void {
    // Bucket b holds the magnitudes with bits in [b << 16, (b + 1) << 16): compare as floats.
    const lows = this.selectors.map((s) => bitsToFloat(s.bucket << 16));
    const highs = this.selectors.map((s) => bitsToFloat((s.bucket + 1) << 16));
    let votes = 0;
    for (let i = 0; i < base.length; i++) {
      const b = base[i];
      let kept = 0;
      let waiting = false;
      for (let t = 0; t < arrays.length; t++) {
        const v = Math.fround(arrays[t][i] - b);
        const magnitude = Math.abs(v);
        if (magnitude >= highs[t]) kept += v;
        else if (magnitude >= lows[t]) {
          waiting = true;
          scratch[0] = magnitude;
          this.selectors[t].countFineBits(scratchBits[0]);
        }
      }
      if (!waiting) votes += kept > 0 ? 1 : kept < 0 ? -1 : 0;
      else if (this.pending) this.storePending(base, arrays, i);
    }
    this.votes += votes;
  }

  private storePending(base: Float32Array, arrays: readonly Float32Array[], i: number): void {
    const pending = this.pending!;
    const at = this.pendingCount * this.taskCount;
    if (at + this.taskCount > pending.length) {
      throw new WemoeError(
        'ties: the task vectors changed between passes (more boundary entries than counted)',
      );
    }
    for (let t = 0; t < this.taskCount; t++) pending[at + t] = arrays[t][i] - base[i];
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
