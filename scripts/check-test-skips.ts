/**
 * Reads a vitest JSON report (`--reporter=json --outputFile.json=FILE`), prints how many tests passed,
 * failed and were skipped (and which were skipped), and exits non-zero when the run is not what CI
 * expects:
 *   --expect all      nothing failed and nothing was skipped (CI installed every system package);
 *   --expect hidden   nothing failed, and the skipped tests are exactly those tagged needs:<dependency>
 *                     (a run with WEMOE_HIDE_SYSTEM_DEPS=1, as on a machine without the packages).
 *
 *   npx tsx scripts/check-test-skips.ts REPORT.json --expect all|hidden
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  SYSTEM_DEPENDENCIES,
  type SystemDependencyName,
  systemDependencyNames,
  systemDependencyTag,
} from '../src/util/system-deps.js';

export interface JsonReport {
  success: boolean;
  numFailedTestSuites: number;
  testResults: {
    name: string;
    assertionResults: { fullName: string; status: string; tags?: string[] }[];
  }[];
}

export interface Outcome {
  /** "file > describe > test" */
  label: string;
  status: string;
  /** The system dependencies the test is tagged with. */
  needs: SystemDependencyName[];
}

const byTag = new Map(systemDependencyNames().map((name) => [systemDependencyTag(name), name]));

export function outcomes(report: JsonReport): Outcome[] {
  return report.testResults.flatMap((file) =>
    file.assertionResults.map((test) => ({
      label: `${relative(process.cwd(), file.name)} > ${test.fullName}`,
      status: test.status,
      needs: (test.tags ?? []).flatMap((tag) => byTag.get(tag) ?? []),
    })),
  );
}

const describeNeeds = (o: Outcome) =>
  o.needs.length ? ` [${o.needs.map(systemDependencyTag).join(', ')}]` : '';

/** The problems of a run checked against `expect`; empty when it is as expected. */
export function problems(report: JsonReport, tests: Outcome[], expect: 'all' | 'hidden'): string[] {
  const found: string[] = [];
  const failed = tests.filter((t) => t.status === 'failed').length;
  if (!report.success || failed > 0 || report.numFailedTestSuites > 0)
    found.push(`the run failed: ${failed} tests and ${report.numFailedTestSuites} test files failed`);
  const skipped = (t: Outcome) => t.status !== 'passed' && t.status !== 'failed';
  for (const t of tests) {
    if (expect === 'all' && skipped(t)) {
      const notInCi = t.needs.filter((name) => !SYSTEM_DEPENDENCIES[name].ci);
      const hint = notInCi.length
        ? `set ci: true for ${notInCi.join(', ')} in src/util/system-deps.ts`
        : 'CI must run every test';
      found.push(`skipped in CI: ${t.label}${describeNeeds(t)}; ${hint}`);
    }
    if (expect === 'hidden' && t.needs.length > 0 && !skipped(t))
      found.push(`ran although its system dependencies were hidden: ${t.label}${describeNeeds(t)}`);
    if (expect === 'hidden' && t.needs.length === 0 && skipped(t))
      found.push(`skipped without a needs:<dependency> tag: ${t.label}`);
  }
  return found;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { expect: { type: 'string' } },
  });
  const expect = values.expect;
  if (positionals.length !== 1 || (expect !== 'all' && expect !== 'hidden')) {
    console.error('usage: check-test-skips.ts REPORT.json --expect all|hidden');
    process.exit(2);
  }
  const report = JSON.parse(readFileSync(positionals[0], 'utf8')) as JsonReport;
  const tests = outcomes(report);
  const count = (status: string) => tests.filter((t) => t.status === status).length;
  const skipped = tests.filter((t) => t.status !== 'passed' && t.status !== 'failed');
  console.log(
    `${tests.length} tests: ${count('passed')} passed, ${count('failed')} failed, ${skipped.length} skipped`,
  );
  for (const t of skipped) console.log(`  ${t.status}: ${t.label}${describeNeeds(t)}`);
  const found = problems(report, tests, expect);
  for (const line of found) console.error(`check-test-skips: ${line}`);
  if (found.length > 0) process.exit(1);
  const tagged = tests.filter((t) => t.needs.length > 0).length;
  console.log(
    expect === 'all'
      ? 'as expected: every test ran'
      : `as expected: the ${skipped.length} skipped tests are exactly the ${tagged} tagged needs:<dependency>`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
