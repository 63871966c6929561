/**
 * Checks, before long work starts, that its outputs can be written: the folder is created (or exists)
 * and a probe file can be created and removed in it. Failing after an hour of evaluation because the
 * report folder is read-only is what this avoids.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WemoeError } from '../errors.js';
import { withFsError } from './fs-error.js';

function probe(dir: string, what: string): void {
  const file = join(dir, `.wemoe-probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  withFsError(dir, `write ${what}`, () => writeFileSync(file, ''));
  rmSync(file, { force: true });
}

/** Throws a one-line WemoeError unless `dir` is (or can be created as) a writable folder. */
export function checkWritableFolder(dir: string, what = 'into the output folder'): void {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new WemoeError(`${dir}: cannot write ${what}: it is a file, not a folder`);
  withFsError(dir, 'create the output folder', () => mkdirSync(dir, { recursive: true }));
  probe(dir, what);
}

/** Throws a one-line WemoeError unless the file `path` can be written (its folder is created if needed). */
export function checkWritableFile(path: string): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new WemoeError(`${path}: cannot write the output file: it is a folder`);
  const dir = dirname(path);
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new WemoeError(`${path}: cannot write the output file: ${dir} is a file, not a folder`);
  withFsError(dir, 'create the output file’s folder', () => mkdirSync(dir, { recursive: true }));
  probe(dir, 'the output file');
}
