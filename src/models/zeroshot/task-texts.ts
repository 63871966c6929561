/** Class names and templates of a heads config, read from lists, text files or the built-in data. */
import { readFileSync } from 'node:fs';
import { WemoeError } from '../../errors.js';
import { builtinTask, type TaskTexts } from './builtin.js';
import type { HeadsTaskConfig, TextsSpec } from './heads-config.js';

export const BUILTIN = 'builtin';

export interface ResolvedTaskTexts extends TaskTexts {
  /** Where each list came from, for the plan: "builtin sun397", a file, or "list". */
  readonly origin: { readonly classes: string; readonly templates: string };
}

/** Lines of a text file, one entry each; blank lines are skipped, trailing \r and spaces dropped. */
function readLines(path: string, where: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WemoeError(`${where}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
}

function resolveList(
  spec: TextsSpec,
  task: string,
  part: 'classes' | 'templates',
  where: string,
): { values: readonly string[]; origin: string } {
  if (typeof spec !== 'string') return { values: spec, origin: 'list' };
  if (spec === BUILTIN || spec.startsWith(`${BUILTIN}:`)) {
    const name = spec === BUILTIN ? task : spec.slice(BUILTIN.length + 1);
    try {
      return { values: builtinTask(name)[part], origin: `builtin ${name}` };
    } catch (error) {
      throw new WemoeError(`${where}: tasks.${task}.${part}: ${(error as Error).message}`);
    }
  }
  return { values: readLines(spec, `${where}: tasks.${task}.${part}`), origin: spec };
}

/** The task's class names and templates, checked: both non-empty, every template holds `{}`. */
export function resolveTaskTexts(task: string, config: HeadsTaskConfig, where: string): ResolvedTaskTexts {
  const classes = resolveList(config.classes, task, 'classes', where);
  const templates = resolveList(config.templates, task, 'templates', where);
  for (const [part, list] of [
    ['classes', classes],
    ['templates', templates],
  ] as const) {
    if (list.values.length === 0)
      throw new WemoeError(`${where}: tasks.${task}.${part}: empty (${list.origin}); expected at least one`);
  }
  const bad = templates.values.find((t) => !t.includes('{}'));
  if (bad !== undefined) {
    throw new WemoeError(
      `${where}: tasks.${task}.templates: ${JSON.stringify(bad)} has no {} (where the class name goes)`,
    );
  }
  return {
    classes: classes.values,
    templates: templates.values,
    origin: { classes: classes.origin, templates: templates.origin },
  };
}

/** The prompts of one class: each template with `{}` replaced by the class name. */
export function classPrompts(className: string, templates: readonly string[]): string[] {
  return templates.map((t) => t.replaceAll('{}', className));
}
