/**
 * Inputs must be regular files: reading a FIFO blocks until someone writes into it, and a device or
 * socket is never a model, config or image. Checked before the file is opened.
 */
import { statSync } from 'node:fs';
import { WemoeError } from '../errors.js';

function kindOf(stat: NonNullable<ReturnType<typeof statSync>>): string {
  if (stat.isFIFO()) return 'named pipe (FIFO)';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  return 'special file';
}

/**
 * Throws a one-line WemoeError when `path` is a pipe, socket or device. Absent paths and folders pass:
 * reading them fails at once, and the reader reports that in its own words.
 */
export function checkRegularFile(path: string, what: string): void {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return;
  }
  if (stat !== undefined && !stat.isFile() && !stat.isDirectory())
    throw new WemoeError(`${path}: expected the ${what} as a regular file, found a ${kindOf(stat)}`);
}
