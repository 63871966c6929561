/**
 * Node's file-system errors as one line a user can act on: the path, what wemoe was doing and what the
 * system said, in words (ENOSPC: no space left on the device, EROFS: read-only file system, ...).
 */
import { WemoeError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'something already exists there',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  ENOENT: 'no such file or folder',
  ENOTEMPTY: 'the folder is not empty (another run may be writing there)',
  EMFILE: 'too many open files (raise the limit with ulimit -n)',
  ENFILE: 'too many open files in the system',
  EBUSY: 'the resource is busy',
  EXDEV: 'it lies on another file system',
  EIO: 'input/output error',
  ENAMETOOLONG: 'the name is too long',
};

/** The errno code of a Node system error, if it is one. */
export function systemErrorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** `<path>: cannot <action>: <reason> (<CODE>)`; a WemoeError passes through unchanged. */
export function fsError(error: unknown, path: string, action: string): WemoeError {
  if (error instanceof WemoeError) return error;
  const code = systemErrorCode(error);
  const reason = code
    ? `${REASONS[code] ?? 'system error'} (${code})`
    : String(error instanceof Error ? error.message : error).replace(/\s+/g, ' ');
  return new WemoeError(`${path}: cannot ${action}: ${reason}`);
}

/** Runs `fn`, turning a file-system error into fsError(path, action). */
export function withFsError<T>(path: string, action: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw fsError(error, path, action);
  }
}
