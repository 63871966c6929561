/**
 * `npm run bench [-- NAME ...]`: runs every bench/<NAME>.bench.ts (or the named ones), each in its own
 * process so that peak RSS is per benchmark. Each benchmark prints its figures and writes
 * bench-results/<NAME>.json; this runner gathers them into bench-results/all.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('.', import.meta.url).pathname;
const wanted = process.argv.slice(2);
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();
if (names.length === 0) throw new Error(`no benchmark matches ${wanted.join(', ')}`);

mkdirSync('bench-results', { recursive: true });
const all: Record<string, unknown> = {};
let failed = 0;
for (const name of names) {
  console.log(`\n=== ${name} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(dir, `${name}.bench.ts`)], {
    stdio: 'inherit',
  });
  const file = join('bench-results', `${name}.json`);
  if (run.status !== 0) failed++;
  else if (existsSync(file)) all[name] = JSON.parse(readFileSync(file, 'utf8'));
}
writeFileSync(join('bench-results', 'all.json'), `${JSON.stringify(all, null, 2)}\n`);
console.log(`\nresults: bench-results/all.json${failed ? ` (${failed} benchmark(s) failed)` : ''}`);
process.exit(failed ? 1 : 0);
