/**
 * The class names and prompt templates shipped with wemoe (assets/zeroshot/<task>.json): those the
 * paper and FusionBench use for the eight tasks of task arithmetic and the other tasks of FusionBench's
 * 14- and 20-task suites, in FusionBench's class order (the label order of its datasets).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assetsDir } from '../../data/suite.js';
import { WemoeError } from '../../errors.js';
import { readJsonObject } from '../../io/json-file.js';

export interface TaskTexts {
  /** K class names, in label order. */
  readonly classes: readonly string[];
  /** Prompt templates; `{}` stands for the class name. */
  readonly templates: readonly string[];
}

/** Other names the tasks go by (Hugging Face dataset names, short names). */
const ALIASES: Readonly<Record<string, string>> = {
  cars: 'stanford-cars',
  flowers102: 'oxford-flowers102',
  'oxford-flowers-102': 'oxford-flowers102',
  pets: 'oxford-iiit-pet',
  'oxford-pets': 'oxford-iiit-pet',
  sst2: 'rendered-sst2',
  emnist: 'emnist-letters',
};

function zeroshotDir(): string {
  return join(assetsDir(), 'zeroshot');
}

/** A task name compared loosely: lower case, no owner prefix (`tanganke/`), `_` read as `-`. */
function canonical(name: string): string {
  const bare = name.toLowerCase().split('/').at(-1)!.replaceAll('_', '-');
  return ALIASES[bare] ?? bare;
}

/** The built-in tasks' names, as their files name them. */
export function builtinTaskNames(): string[] {
  const dir = zeroshotDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** The built-in class names and templates of `task` (loosely named), or an error listing the tasks there are. */
export function builtinTask(task: string): TaskTexts {
  const found = builtinTaskNames().find((name) => canonical(name) === canonical(task));
  if (found === undefined) {
    throw new WemoeError(
      `no built-in class names and templates for task ${JSON.stringify(task)}; built-in tasks: ${builtinTaskNames().join(', ')}`,
    );
  }
  const json = readJsonObject(join(zeroshotDir(), `${found}.json`));
  return { classes: json.classes as string[], templates: json.templates as string[] };
}
