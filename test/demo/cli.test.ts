import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('wemoe demo (command line)', () => {
  it('refuses an unknown --methods id in one line, before loading the suite', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--methods', 'ties,nope', '--quiet'],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /^wemoe: demo: --methods nope: unknown; known methods: pretrained, individual,/,
    );
    expect(run.stdout).toBe('');
  }, 20_000);
});
