/**
 * The merge output folder is built in a temporary sibling folder and renamed into place, so a crash never
 * leaves a half-written model. An existing output is replaced only when it is empty or an earlier merge
 * output (it holds merge_config.yaml); anything else is refused before any work is done.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WemoeError } from '../errors.js';

export const RESOLVED_CONFIG_FILE = 'merge_config.yaml';

/** Throws unless `output` is absent, an empty folder, or a folder an earlier merge wrote. */
export function checkReplaceable(output: string): void {
  if (!existsSync(output)) return;
  if (!statSync(output).isDirectory()) throw new WemoeError(`${output}: output exists and is not a folder`);
  const entries = readdirSync(output);
  if (entries.length > 0 && !entries.includes(RESOLVED_CONFIG_FILE)) {
    throw new WemoeError(
      `${output}: output folder exists and is not a wemoe merge output (no ${RESOLVED_CONFIG_FILE}); choose another output`,
    );
  }
}

function sibling(output: string, tag: string): string {
  return join(
    dirname(output),
    `.${basename(output)}.${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
}

/** Creates the temporary folder the output is written into. */
export function createStagingFolder(output: string): string {
  checkReplaceable(output);
  mkdirSync(dirname(output), { recursive: true });
  const staging = sibling(output, 'tmp');
  mkdirSync(staging);
  return staging;
}

/** Moves the finished staging folder to `output`, replacing an earlier merge output. */
export function commitStagingFolder(staging: string, output: string): void {
  checkReplaceable(output);
  if (!existsSync(output)) {
    renameSync(staging, output);
    return;
  }
  const old = sibling(output, 'old');
  renameSync(output, old);
  renameSync(staging, output);
  rmSync(old, { recursive: true, force: true });
}

export function discardStagingFolder(staging: string): void {
  rmSync(staging, { recursive: true, force: true });
}
