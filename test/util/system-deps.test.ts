import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WemoeError } from '../../src/errors.js';
import {
  missingSystemDependency,
  requireSystemDependency,
  requireSystemFile,
  SYSTEM_DEPENDENCIES,
  systemCommand,
  systemDependencyNames,
  systemFileExists,
} from '../../src/util/system-deps.js';
import { needs } from '../support/system-deps.js';

const thisFile = new URL(import.meta.url).pathname;

// Each test sets the variable itself, so the file passes in CI's run with it set as well.
beforeEach(() => {
  vi.stubEnv('WEMOE_HIDE_SYSTEM_DEPS', '');
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('system dependencies', () => {
  it('docs/system-packages.md has one row per dependency, with exactly its packages', () => {
    const docs = readFileSync(new URL('../../docs/system-packages.md', import.meta.url), 'utf8');
    const row = /^\| ([a-z][a-z-]*) \| ([a-z0-9. -]+) \|/gm; // | name | packages | (not the header)
    const rows = new Map([...docs.matchAll(row)].map((m) => [m[1], m[2].trim().split(' ')]));
    expect([...rows.keys()]).toEqual(systemDependencyNames());
    for (const name of systemDependencyNames())
      expect(rows.get(name), name).toEqual(SYSTEM_DEPENDENCIES[name].packages);
  });

  it('fails on a missing file with one line naming it and the packages to install', () => {
    const path = '/nonexistent/digits.csv.gz';
    expect(systemFileExists(thisFile)).toBe(true);
    expect(systemFileExists(path)).toBe(false);
    expect(() => requireSystemFile('sklearn-digits', path)).toThrow(WemoeError);
    expect(() => requireSystemFile('sklearn-digits', path)).toThrow(
      '/nonexistent/digits.csv.gz: missing; install the Debian package python3-sklearn (see docs/system-packages.md)',
    );
  });

  it('finds a command through its environment variable first', () => {
    vi.stubEnv('WEMOE_CHROMIUM', process.execPath); // a stand-in that exits 0 for --version
    expect(systemCommand('chromium')).toBe(process.execPath);
    expect(missingSystemDependency('chromium')).toBeUndefined();
  });

  it('WEMOE_HIDE_SYSTEM_DEPS=1 makes every dependency missing, with its install hint', () => {
    vi.stubEnv('WEMOE_HIDE_SYSTEM_DEPS', '1');
    expect(systemFileExists(thisFile)).toBe(false);
    expect(systemCommand('chromium')).toBeUndefined();
    for (const name of systemDependencyNames()) {
      const message = missingSystemDependency(name)!;
      expect(message, name).toMatch(/hidden by WEMOE_HIDE_SYSTEM_DEPS=1/);
      expect(message, name).toContain(
        `${SYSTEM_DEPENDENCIES[name].packages.join(' ')} (see docs/system-packages.md)`,
      );
      expect(() => requireSystemDependency(name)).toThrow(message);
    }
    expect(missingSystemDependency('suite-fonts')).toBe(
      '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf: missing (hidden by WEMOE_HIDE_SYSTEM_DEPS=1); install the Debian packages fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-freefont-ttf fonts-noto-core fonts-noto-cjk fonts-urw-base35 fonts-lato fonts-ipafont fonts-vlgothic (see docs/system-packages.md)',
    );
  });

  it('needs() tags the test, and skips it with the reason printed once when the dependency is missing', () => {
    vi.stubEnv('WEMOE_HIDE_SYSTEM_DEPS', '1');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(needs('pytorch')).toEqual({ tags: ['needs:pytorch'], skip: true });
    expect(needs('pytorch')).toEqual({ tags: ['needs:pytorch'], skip: true });
    expect(log.mock.calls).toEqual([
      [
        'skipping the tests tagged needs:pytorch: pytorch: hidden by WEMOE_HIDE_SYSTEM_DEPS=1; install the Debian packages python3-torch libopenblas0-pthread (see docs/system-packages.md)',
      ],
    ]);
    vi.stubEnv('WEMOE_HIDE_SYSTEM_DEPS', '');
    vi.stubEnv('WEMOE_CHROMIUM', process.execPath);
    expect(needs('chromium')).toEqual({ tags: ['needs:chromium'], skip: false });
  });
});
