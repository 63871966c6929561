import { describe, expect, it } from 'vitest';
import { ByteRing, RING_ALIGN, type RingSlot } from '../../src/io/byte-ring.js';
import { mulberry32 } from '../merge/memory.js';

describe('ByteRing', () => {
  it('allocates in order on cache-line boundaries and refuses what does not fit', () => {
    const ring = new ByteRing(4 * RING_ALIGN);
    const a = ring.allocate(1)!;
    const b = ring.allocate(RING_ALIGN + 1)!;
    expect([a.start, b.start]).toEqual([0, RING_ALIGN]);
    expect(ring.allocate(2 * RING_ALIGN)).toBeNull(); // 1 line left
    const c = ring.allocate(RING_ALIGN)!;
    expect(c.start).toBe(3 * RING_ALIGN);
    expect(ring.allocate(1)).toBeNull(); // full
    expect(() => ring.allocate(0)).toThrow('byte ring: cannot allocate 0 bytes');
  });

  it('frees a range only once every older one is released, then wraps around to reuse it', () => {
    const ring = new ByteRing(4 * RING_ALIGN);
    const [a, b] = [ring.allocate(RING_ALIGN)!, ring.allocate(RING_ALIGN)!];
    ring.allocate(2 * RING_ALIGN);
    ring.release(b);
    expect(ring.allocate(RING_ALIGN)).toBeNull(); // a still holds the front
    ring.release(a);
    const wrapped = ring.allocate(2 * RING_ALIGN)!;
    expect(wrapped.start).toBe(0);
    expect(ring.allocate(1)).toBeNull(); // [0, 2) and [2, 4) are live
  });

  it('starts over at 0 when nothing is live', () => {
    const ring = new ByteRing(4 * RING_ALIGN);
    const slots = [ring.allocate(RING_ALIGN)!, ring.allocate(2 * RING_ALIGN)!];
    for (const slot of slots) ring.release(slot);
    expect(ring.allocate(4 * RING_ALIGN)?.start).toBe(0);
  });

  it('never hands out overlapping live ranges (random sizes, releases out of order)', () => {
    const size = 64 * RING_ALIGN;
    const ring = new ByteRing(size);
    const random = mulberry32(3);
    const uniform = () => random() + 0.5; // [0, 1)
    const live: RingSlot[] = [];
    let refused = 0;
    for (let step = 0; step < 5000; step++) {
      if (uniform() < 0.3 && live.length > 0) {
        const [slot] = live.splice(Math.floor(uniform() * live.length), 1);
        ring.release(slot);
        continue;
      }
      const slot = ring.allocate(1 + Math.floor(uniform() * 8 * RING_ALIGN));
      if (slot === null) {
        refused++;
        ring.release(live.shift()!); // frees the oldest, as a reader consuming in order does
        continue;
      }
      expect(slot.start % RING_ALIGN).toBe(0);
      expect(slot.start + slot.length).toBeLessThanOrEqual(size);
      for (const other of live) {
        const apart = slot.start + slot.length <= other.start || other.start + other.length <= slot.start;
        expect(apart).toBe(true);
      }
      live.push(slot);
    }
    expect(refused).toBeGreaterThan(0);
  });
});
