import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { errorLine, errorReport } from '../../src/cli/error-line.js';
import { WemoeError } from '../../src/errors.js';

/** A Node system error as fs functions throw it. */
function systemError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, ${syscall} '${path}'`), {
    code,
    syscall,
    path,
    errno: -1,
  });
}

describe('one-line errors', () => {
  it('names the path, what failed and why for each system error a user meets', () => {
    const cases: [string, string, string][] = [
      ['ENOSPC', 'write', '/out/model.safetensors: cannot write: no space left on the device (ENOSPC)'],
      [
        'EROFS',
        'mkdir',
        '/out/model.safetensors: cannot create the folder: the file system is read-only (EROFS)',
      ],
      ['EACCES', 'open', '/out/model.safetensors: cannot open: permission denied (EACCES)'],
      [
        'EEXIST',
        'mkdir',
        '/out/model.safetensors: cannot create the folder: something already exists there (EEXIST)',
      ],
      [
        'EMFILE',
        'open',
        '/out/model.safetensors: cannot open: too many open files (raise the limit with ulimit -n) (EMFILE)',
      ],
      [
        'ENOTEMPTY',
        'rename',
        '/out/model.safetensors: cannot rename: the folder is not empty (another run may be writing there) (ENOTEMPTY)',
      ],
    ];
    for (const [code, syscall, line] of cases) {
      expect(errorLine(systemError(code, syscall, '/out/model.safetensors'))).toBe(line);
    }
  });

  it('keeps wemoe errors as they are and makes anything else one line that points to --debug', () => {
    expect(errorLine(new WemoeError('a.yaml: method: unknown'))).toBe('a.yaml: method: unknown');
    const internal = new RangeError('Maximum call stack size exceeded\n    at f (x.ts:1:1)');
    expect(errorLine(internal)).toBe(
      'internal error: RangeError: Maximum call stack size exceeded at f (x.ts:1:1) (run with --debug or WEMOE_DEBUG=1 for the stack)',
    );
    expect(errorReport(internal, { debug: false }).split('\n')).toHaveLength(2); // one line and its newline
    expect(errorReport(internal, { debug: true })).toContain(internal.stack);
  });

  it('the command line prints one line, and the stack only with --debug or WEMOE_DEBUG=1', () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const plain = run(['inspect', '/nonexistent/x.safetensors']);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toBe('wemoe: /nonexistent/x.safetensors: no such file or folder\n');
    for (const debug of [
      run(['inspect', '/nonexistent/x.safetensors', '--debug']),
      run(['inspect', '/nonexistent/x.safetensors'], { WEMOE_DEBUG: '1' }),
    ]) {
      expect(debug.status).toBe(1);
      const lines = debug.stderr.trim().split('\n');
      expect(lines[0]).toBe('wemoe: /nonexistent/x.safetensors: no such file or folder');
      expect(lines[1]).toBe('WemoeError: /nonexistent/x.safetensors: no such file or folder');
      expect(lines.length).toBeGreaterThan(2);
    }
  });
});
