/**
 * Batches of sample indices for one task: a fresh seeded shuffle per epoch, cycled forever. The state is
 * two integers, so a checkpoint stores it exactly and a resumed run draws the same batches.
 */
import { createRandom, deriveSeed, shuffleInPlace } from '../data/random.js';

export interface SamplerState {
  readonly epoch: number;
  /** Position inside the current epoch's order. */
  readonly offset: number;
}

export class BatchSampler {
  private order: number[];
  private state: SamplerState;

  constructor(
    readonly count: number,
    readonly batchSize: number,
    private readonly seed: number,
    state: SamplerState = { epoch: 0, offset: 0 },
  ) {
    if (count < 1) throw new RangeError('BatchSampler: the task has no samples');
    this.state = state;
    this.order = this.epochOrder(state.epoch);
  }

  private epochOrder(epoch: number): number[] {
    const indices = Array.from({ length: this.count }, (_, i) => i);
    return shuffleInPlace(indices, createRandom(deriveSeed(this.seed, epoch)));
  }

  /** The next `batchSize` indices (a batch may span two epochs; it never repeats an index within an epoch). */
  next(): number[] {
    const batch: number[] = [];
    let { epoch, offset } = this.state;
    while (batch.length < this.batchSize) {
      if (offset === this.count) {
        epoch++;
        offset = 0;
        this.order = this.epochOrder(epoch);
      }
      batch.push(this.order[offset++]);
    }
    this.state = { epoch, offset };
    return batch;
  }

  get current(): SamplerState {
    return this.state;
  }
}
