/**
 * Output folders that are never half-written and never lost. An output OUT is written into a staging
 * folder beside it (`.OUT.tmp-<pid>-<random>`), then swapped in: OUT is renamed to `.OUT.old-...`, the
 * staging folder to OUT, and the old copy removed. A run killed between the two renames leaves no OUT,
 * so the next run on OUT first puts back a complete copy (the new one, else the old one) and removes
 * the leftovers. `OUT.lock` (holding the owner's pid) keeps two runs off one output; under it every
 * staging folder of OUT is a leftover. A folder is replaced only when it holds the marker file wemoe
 * writes into each output, never because of a file name a user's folder may also hold.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { WemoeError } from '../errors.js';
import { fsError, withFsError } from './fs-error.js';
import { acquireLock } from './lock-file.js';

/** Written inside every output folder as the last file before it is swapped in. */
export const OUTPUT_MARKER = '.wemoe-output';

/** The points of a commit after which a crash is survivable; see AtomicOutputOptions.afterStep. */
export type SwapStep = 'marked' | 'old-moved-away' | 'new-moved-in';

export interface AtomicOutputOptions {
  /** Called after each step of the commit; tests kill the process here to check recovery. */
  readonly afterStep?: (step: SwapStep) => void;
  /** Where the line saying that an interrupted run's output was restored goes (default: nowhere). */
  readonly log?: (line: string) => void;
}

export interface AtomicOutput {
  /** The final output folder. */
  readonly path: string;
  /** The folder to write into; it becomes `path` on commit. */
  readonly staging: string;
  /** Swaps the staging folder in place of the output and releases the lock. */
  commit(): void;
  /** Removes the staging folder and releases the lock (nothing happens to the output). */
  discard(): void;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Staging (`tmp`) and old (`old`) copies of `output` left beside it, newest first. */
function leftovers(output: string): { path: string; tag: 'tmp' | 'old'; mtime: number }[] {
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(output))}\\.(tmp|old)-\\d+-[a-z0-9]+$`);
  const dir = dirname(output);
  return readdirSync(dir)
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter(({ match }) => match !== null)
    .map(({ name, match }) => ({
      path: join(dir, name),
      tag: match![1] as 'tmp' | 'old',
      mtime: statSync(join(dir, name)).mtimeMs,
    }))
    .sort((a, b) => b.mtime - a.mtime);
}

function isComplete(folder: string, tag: 'tmp' | 'old'): boolean {
  // An old copy was a whole output before it was moved away (also one of an earlier wemoe without
  // markers); a staging copy is whole once the marker, its last file, is in.
  return tag === 'old' || existsSync(join(folder, OUTPUT_MARKER));
}

/**
 * Puts back a complete copy when `output` is missing (preferring the newest new copy) and removes every
 * other leftover. Call only while holding the output's lock.
 */
export function recoverOutput(output: string, log: (line: string) => void = () => {}): void {
  const found = withFsError(dirname(output), 'list the folder', () => leftovers(output));
  let restored: string | undefined;
  if (!existsSync(output)) {
    const complete = found.filter((f) => isComplete(f.path, f.tag));
    const pick = complete.find((f) => f.tag === 'tmp') ?? complete[0];
    if (pick) {
      withFsError(output, 'restore the output', () => renameSync(pick.path, output));
      restored = pick.path;
      log(
        `${output}: restored the ${pick.tag === 'tmp' ? 'new' : 'previous'} output an interrupted run left`,
      );
    }
  }
  for (const f of found) {
    if (f.path !== restored)
      withFsError(f.path, 'remove an interrupted run’s leftover', () =>
        rmSync(f.path, { recursive: true, force: true }),
      );
  }
}

/** Throws unless `output` is absent, an empty folder, or a folder holding the wemoe output marker. */
export function checkReplaceable(output: string): void {
  if (!existsSync(output)) return;
  if (!statSync(output).isDirectory()) throw new WemoeError(`${output}: output exists and is not a folder`);
  const entries = withFsError(output, 'list the output folder', () => readdirSync(output));
  if (entries.length > 0 && !entries.includes(OUTPUT_MARKER)) {
    throw new WemoeError(
      `${output}: output folder exists and is not a wemoe merge output (no ${OUTPUT_MARKER} file inside); choose another output (an output of an older wemoe can be marked with: touch ${join(output, OUTPUT_MARKER)})`,
    );
  }
}

/** Refuses an output that is one of the inputs or holds one: replacing it would delete what is being read. */
export function checkOutputApart(output: string, inputs: readonly string[]): void {
  const out = resolve(output);
  for (const input of inputs) {
    const path = resolve(input);
    if (path === out || path.startsWith(`${out}${sep}`))
      throw new WemoeError(`${output}: output would replace the input ${input}; choose another output`);
  }
}

function sibling(output: string, tag: string): string {
  return join(
    dirname(output),
    `.${basename(output)}.${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
}

/**
 * Locks `output`, recovers what an interrupted run left, checks that the output may be replaced and
 * creates the staging folder (which also proves the place writable before any long work).
 */
export function openAtomicOutput(output: string, options: AtomicOutputOptions = {}): AtomicOutput {
  const parent = dirname(output);
  withFsError(parent, 'create the output’s parent folder', () => mkdirSync(parent, { recursive: true }));
  const lock = acquireLock(`${output}.lock`, output);
  let staging: string;
  try {
    recoverOutput(output, options.log);
    checkReplaceable(output);
    staging = sibling(output, 'tmp');
    withFsError(staging, 'create the staging folder', () => mkdirSync(staging));
  } catch (error) {
    lock.release();
    throw error;
  }
  let open = true;
  const close = () => {
    open = false;
    lock.release();
  };
  return {
    path: output,
    staging,
    commit() {
      if (!open) throw new WemoeError(`${output}: output already committed or discarded`);
      try {
        swapIn(staging, output, options);
      } catch (error) {
        rmSync(staging, { recursive: true, force: true });
        throw error;
      } finally {
        close();
      }
    },
    discard() {
      if (!open) return;
      try {
        rmSync(staging, { recursive: true, force: true });
      } finally {
        close();
      }
    },
  };
}

/** Flushes one file, or one folder's entries (not the files in it), to the disk. */
function syncToDisk(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes every file under `folder`, then the folders' entries. */
function syncTree(folder: string): void {
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) syncTree(path);
    else syncToDisk(path);
  }
  syncToDisk(folder);
}

function swapIn(staging: string, output: string, options: AtomicOutputOptions): void {
  const step = options.afterStep ?? (() => {});
  // The files reach the disk before the marker says the folder is whole, and the marker before the
  // renames: after a power loss a marked folder is never one with empty files.
  withFsError(staging, 'flush the output to the disk', () => syncTree(staging));
  withFsError(join(staging, OUTPUT_MARKER), 'write the output marker', () => {
    writeFileSync(join(staging, OUTPUT_MARKER), 'written by wemoe; marks this folder as replaceable\n');
    syncToDisk(join(staging, OUTPUT_MARKER));
    syncToDisk(staging);
  });
  step('marked');
  if (!existsSync(output)) {
    withFsError(output, 'move the finished output into place', () => renameSync(staging, output));
    withFsError(dirname(output), 'flush the folder to the disk', () => syncToDisk(dirname(output)));
    step('new-moved-in');
    return;
  }
  checkReplaceable(output);
  const old = sibling(output, 'old');
  withFsError(output, 'move the previous output aside', () => renameSync(output, old));
  step('old-moved-away');
  try {
    renameSync(staging, output);
  } catch (error) {
    withFsError(output, 'put the previous output back', () => renameSync(old, output));
    throw fsError(error, output, 'move the finished output into place');
  }
  withFsError(dirname(output), 'flush the folder to the disk', () => syncToDisk(dirname(output)));
  step('new-moved-in');
  withFsError(old, 'remove the previous output', () => rmSync(old, { recursive: true, force: true }));
}
