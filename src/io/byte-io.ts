/** Positional reads and writes on file descriptors that loop until every byte has moved. */
import { readSync, writeSync } from 'node:fs';
import { WemoeError } from '../errors.js';

/** One readSync call moves at most this much (Node caps a single read near 2 GiB). */
const MAX_CHUNK = 1 << 30;

/** Fills `target` from `position` in the file; a short file is a WemoeError naming `path`. */
export function readFully(path: string, fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.length) {
    const length = Math.min(MAX_CHUNK, target.length - done);
    const n = readSync(fd, target, done, length, position + done);
    if (n === 0) {
      throw new WemoeError(
        `${path}: unexpected end of file at byte ${position + done} (expected ${target.length - done} more bytes)`,
      );
    }
    done += n;
  }
}

/** Appends all of `bytes` at the descriptor's current position. */
export function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, Math.min(MAX_CHUNK, bytes.length - done));
  }
}
