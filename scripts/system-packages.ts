/**
 * Prints the Debian packages of src/util/system-deps.ts on one line, for `apt-get install -y`: those of
 * every dependency, or with --ci those that CI installs (every dependency a test needs).
 *
 *   npx tsx scripts/system-packages.ts [--ci]
 */
import { parseArgs } from 'node:util';
import { SYSTEM_DEPENDENCIES, systemDependencyNames } from '../src/util/system-deps.js';

const { values } = parseArgs({ options: { ci: { type: 'boolean', default: false } } });
const names = systemDependencyNames().filter((name) => !values.ci || SYSTEM_DEPENDENCIES[name].ci);
console.log([...new Set(names.flatMap((name) => SYSTEM_DEPENDENCIES[name].packages))].join(' '));
