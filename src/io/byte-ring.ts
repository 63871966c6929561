/**
 * First-in first-out allocation of byte ranges in one fixed SharedArrayBuffer, used as a ring: reads that
 * are requested, used and released in about the same order reuse the same memory, with no allocation, no
 * zero-filling and nothing for the garbage collector. A range is freed once it and every range allocated
 * before it were released; an allocation that does not fit is refused (the caller allocates elsewhere).
 */

/** Every range starts on a cache line (and so suits any typed array). */
export const RING_ALIGN = 64;

export interface RingSlot {
  readonly start: number;
  readonly length: number;
  released: boolean;
}

export function alignUp(bytes: number): number {
  return Math.ceil(bytes / RING_ALIGN) * RING_ALIGN;
}

export class ByteRing {
  readonly buffer: SharedArrayBuffer;
  /** Allocated ranges not yet freed, oldest first (each at least RING_ALIGN bytes). */
  private readonly live: RingSlot[] = [];
  /** Where the next range goes when it fits (from the ring's start): the end of the newest live range. */
  private head = 0;

  /** A ring of `size` bytes, in a SharedArrayBuffer of its own. */
  constructor(readonly size: number) {
    this.buffer = new SharedArrayBuffer(size);
  }

  /** A range of `length` (> 0) bytes, or null when the ring has no room for it now. */
  allocate(length: number): RingSlot | null {
    if (!(length > 0)) throw new RangeError(`byte ring: cannot allocate ${length} bytes`);
    const bytes = alignUp(length);
    const start = this.place(bytes);
    if (start === null) return null;
    const slot = { start, length, released: false };
    this.live.push(slot);
    this.head = start + bytes;
    return slot;
  }

  /** Marks `slot` free; the memory is reused once every older slot is released too. */
  release(slot: RingSlot): void {
    slot.released = true;
    while (this.live.length > 0 && this.live[0].released) this.live.shift();
    if (this.live.length === 0) this.head = 0;
  }

  private place(bytes: number): number | null {
    if (this.live.length === 0) return bytes <= this.size ? 0 : null;
    const tail = this.live[0].start;
    // Live ranges are [tail, head) when head > tail, else [tail, size) and [0, head) (wrapped).
    if (this.head > tail) {
      if (this.head + bytes <= this.size) return this.head;
      return bytes <= tail ? 0 : null;
    }
    return this.head + bytes <= tail ? this.head : null;
  }
}
