import { createKernelArena, type KernelArena } from '../../../src/merge/kernels/kernel-memory.js';

/**
 * Copies of the `arrays` that `inside` picks in a kernel arena (where kernels read them in place), 64-byte
 * aligned like the read-ahead ring's slots, with NaN bytes between them (a kernel must not read past an
 * end); the others as they are.
 */
export function inArena(arrays: readonly Float32Array[], inside: (k: number) => boolean): Float32Array[] {
  return placeInArena(arrays, inside).placed;
}

/** As inArena, in an arena with `workBytes` of work region after the arrays; returns the arena too. */
export function placeInArena(
  arrays: readonly Float32Array[],
  inside: (k: number) => boolean = () => true,
  workBytes = 0,
): { arena: KernelArena; placed: Float32Array[] } {
  const aligned = (a: Float32Array) => Math.ceil((a.byteLength + 1) / 64) * 64;
  const arena = createKernelArena(
    arrays.reduce((sum, a) => sum + aligned(a), 0),
    workBytes,
  );
  new Uint8Array(arena.buffer, arena.offset, arena.bytes).fill(0xff);
  let at = arena.offset;
  const placed = arrays.map((array, k) => {
    if (!inside(k)) return array;
    const copy = new Float32Array(arena.buffer, at, array.length);
    copy.set(array);
    at += aligned(array);
    return copy;
  });
  return { arena, placed };
}
