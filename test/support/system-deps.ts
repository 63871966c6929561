/**
 * Tests that need something outside npm (src/util/system-deps.ts) pass `needs(name)` as their options:
 * the test is tagged `needs:<name>` (.ci/run checks the tags against what was skipped) and skipped,
 * with the reason printed once per test file, when the dependency is missing here.
 */
import type { TestOptions } from 'vitest';
import {
  missingSystemDependency,
  type SystemDependencyName,
  systemDependencyTag,
} from '../../src/util/system-deps.js';

const reported = new Set<SystemDependencyName>();

export function needs(name: SystemDependencyName): TestOptions {
  const missing = missingSystemDependency(name);
  if (missing !== undefined && !reported.has(name)) {
    reported.add(name);
    console.log(`skipping the tests tagged ${systemDependencyTag(name)}: ${missing}`);
  }
  return { tags: [systemDependencyTag(name)], skip: missing !== undefined };
}
