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
    let n: number;
    try {
      n = readSync(fd, target, done, length, position + done);
    } catch (error) {
      throw new WemoeError(`${path}: read failed (${errorCode(error)})`);
    }
    if (n === 0) {
      throw new WemoeError(
        `${path}: unexpected end of file at byte ${position + done} (expected ${target.length - done} more bytes)`,
      );
    }
    done += n;
  }
}

/** Appends all of `bytes` at the descriptor's current position; a failure (disk full...) names `path`. */
export function writeFully(path: string, fd: number, bytes: Uint8Array): void {
  let done = 0;
  try {
    while (done < bytes.length) {
      done += writeSync(fd, bytes, done, Math.min(MAX_CHUNK, bytes.length - done));
    }
  } catch (error) {
    throw new WemoeError(`${path}: write failed (${errorCode(error)})`);
  }
}

/** The errno code of a Node fs error (ENOENT, ENOSPC, ...), else its message. */
export function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error instanceof Error ? error.message : error);
}
