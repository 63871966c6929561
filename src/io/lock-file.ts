/**
 * Lock files that keep two wemoe runs off one output: the file is created exclusively and holds the
 * owner's pid, so a lock left by a killed run (its pid no longer alive) is recognised and taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { WemoeError } from '../errors.js';
import { fsError } from './fs-error.js';

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in `<name>.<tag>-<pid>-<random>` (staging folders, temporary files), or undefined. */
export function ownerPid(name: string, tag: string): number | undefined {
  const match = new RegExp(`\\.${tag}-(\\d+)-[a-z0-9]+$`).exec(name);
  return match ? Number(match[1]) : undefined;
}

export interface Lock {
  readonly path: string;
  release(): void;
}

/**
 * The pid in a lock file; undefined when the file is gone or empty (a run killed right after creating
 * it). A file of other content is not a wemoe lock: it is never removed.
 */
function readOwner(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  if (text === '') return undefined;
  const match = /^(\d+)\n?$/.exec(text);
  if (!match)
    throw new WemoeError(`${path}: exists and is not a wemoe lock file; move it away and run again`);
  return Number(match[1]);
}

/**
 * Creates `path` holding this process's pid, or throws a one-line WemoeError naming `what` and the
 * owner when a live process holds it. A lock whose owner is dead (or unreadable) is replaced.
 */
export function acquireLock(path: string, what: string): Lock {
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw fsError(error, path, 'create the lock file');
      const owner = readOwner(path);
      if (owner !== undefined && isProcessAlive(owner)) {
        throw new WemoeError(
          `${what}: in use by another wemoe run (process ${owner}, lock file ${path}); wait for it to finish, or remove the lock file if no such run exists`,
        );
      }
      rmSync(path, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } catch (error) {
      closeSync(fd);
      rmSync(path, { force: true });
      throw fsError(error, path, 'write the lock file');
    }
    closeSync(fd);
    return { path, release: () => releaseIfOwned(path) };
  }
  throw new WemoeError(`${path}: cannot take the lock (another run keeps replacing it)`);
}

/** Removes the lock unless another process has taken it over (or replaced it) meanwhile. */
function releaseIfOwned(path: string): void {
  let owner: number | undefined;
  try {
    owner = readOwner(path);
  } catch {
    return;
  }
  if (owner === process.pid) rmSync(path, { force: true });
}
