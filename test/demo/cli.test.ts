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

  it('refuses an unknown --suite, and --experiment beside the text suite, in one line', () => {
    const cases: [string[], string][] = [
      [['--suite', 'audio'], 'wemoe: demo: --suite audio: unknown; expected one of vision, text, all'],
      [
        ['--suite', 'text', '--experiment', 'robustness'],
        'wemoe: demo: --experiment runs on the vision suite; got --suite text',
      ],
    ];
    for (const [args, message] of cases) {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'demo', ...args, '--quiet'],
        {
          encoding: 'utf8',
        },
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(`${message}\n`);
    }
  }, 30_000);
});
