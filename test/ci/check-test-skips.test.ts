import { describe, expect, it } from 'vitest';
import { type JsonReport, outcomes, problems } from '../../scripts/check-test-skips.js';

type Test = JsonReport['testResults'][number]['assertionResults'][number];

function report(tests: Test[], success = true): JsonReport {
  return {
    success,
    numFailedTestSuites: 0,
    testResults: [{ name: `${process.cwd()}/test/a.test.ts`, assertionResults: tests }],
  };
}

const check = (r: JsonReport, expect: 'all' | 'hidden') => problems(r, outcomes(r), expect);
const fonts: Test = { fullName: 'renders', status: 'skipped', tags: ['needs:suite-fonts'] };
const plain: Test = { fullName: 'adds', status: 'passed', tags: [] };

describe('check-test-skips', () => {
  it('reads the file, the name and the system dependencies of each test', () => {
    expect(outcomes(report([fonts, { ...plain, tags: ['other'] }]))).toEqual([
      { label: 'test/a.test.ts > renders', status: 'skipped', needs: ['suite-fonts'] },
      { label: 'test/a.test.ts > adds', status: 'passed', needs: [] },
    ]);
  });

  it('--expect all: accepts a run where every test passed, and names each skipped test', () => {
    expect(check(report([plain, { ...fonts, status: 'passed' }]), 'all')).toEqual([]);
    expect(
      check(report([plain, fonts, { fullName: 'opens', status: 'skipped', tags: ['needs:mount'] }]), 'all'),
    ).toEqual([
      'skipped in CI: test/a.test.ts > renders [needs:suite-fonts]; CI must run every test',
      'skipped in CI: test/a.test.ts > opens [needs:mount]; set ci: true for mount in src/util/system-deps.ts',
    ]);
  });

  it('--expect hidden: the skipped tests must be exactly those tagged needs:<dependency>', () => {
    expect(check(report([plain, fonts]), 'hidden')).toEqual([]);
    expect(
      check(
        report([
          { ...plain, status: 'skipped' },
          { ...fonts, status: 'passed' },
        ]),
        'hidden',
      ),
    ).toEqual([
      'skipped without a needs:<dependency> tag: test/a.test.ts > adds',
      'ran although its system dependencies were hidden: test/a.test.ts > renders [needs:suite-fonts]',
    ]);
  });

  it('fails a run with a failed test in either mode', () => {
    const failed = report([plain, { ...plain, status: 'failed' }], false);
    for (const mode of ['all', 'hidden'] as const)
      expect(check(failed, mode)).toEqual(['the run failed: 1 tests and 0 test files failed']);
  });
});
