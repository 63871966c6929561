/** Small text files written whole; a failure (disk full, read-only) names the file, which Node's own write errors do not. */
import { writeFileSync } from 'node:fs';
import { withFsError } from './fs-error.js';

export function writeTextFile(path: string, text: string): void {
  withFsError(path, 'write', () => writeFileSync(path, text));
}
