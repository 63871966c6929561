/**
 * Every failure as one line on stderr: wemoe's own errors as they are, Node's system errors with the
 * path and what failed, anything else as an internal error. The stack is shown only when asked for
 * (`--debug` or WEMOE_DEBUG=1), as its own lines after the one line.
 */
import { WemoeError } from '../errors.js';
import { fsError, systemErrorCode } from '../io/fs-error.js';

const SYSCALLS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create the folder',
  rmdir: 'remove the folder',
  rename: 'rename',
  unlink: 'remove',
  copyfile: 'copy',
  scandir: 'list the folder',
  stat: 'read the status of',
  lstat: 'read the status of',
  fsync: 'flush',
  close: 'close',
};

/** The one line printed after `wemoe: ` for `error`. */
export function errorLine(error: unknown): string {
  if (error instanceof WemoeError) return oneLine(error.message);
  const code = systemErrorCode(error);
  if (code !== undefined) {
    const e = error as NodeJS.ErrnoException & { dest?: string };
    const verb = (e.syscall && SYSCALLS[e.syscall]) ?? e.syscall ?? 'access';
    // copyfile and rename carry the destination too; it is usually the one that failed.
    const action = e.dest ? `${verb} to ${e.dest}` : verb;
    return oneLine(fsError(error, e.path ?? '(unknown path)', action).message);
  }
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `internal error: ${oneLine(what)} (run with --debug or WEMOE_DEBUG=1 for the stack)`;
}

/** What goes to stderr: the line, and the stack when debugging. */
export function errorReport(error: unknown, options: { readonly debug: boolean }): string {
  const line = `wemoe: ${errorLine(error)}\n`;
  const stack = error instanceof Error ? error.stack : undefined;
  return options.debug && stack ? `${line}${stack}\n` : line;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').slice(0, 2000);
}
