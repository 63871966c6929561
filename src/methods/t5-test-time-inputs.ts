/**
 * The test-time methods' inputs on T5: the models, and each task's unlabeled prompts (its rows posed
 * through its template, tokenized, right-padded per batch). `t5TestTimeInputs` builds them from models and
 * prompts in memory (what a demo calls per suite); `loadT5TestTimeInputs` reads a merge config's folders
 * and text tasks.
 */
import { tokenTask } from '../adapt/t5.js';
import type { T5TestTimeInputs } from '../adapt/test-time-method.js';
import type { TextRow } from '../data/text-rows.js';
import { WemoeError } from '../errors.js';
import { loadT5, type T5Model } from '../models/t5/checkpoint.js';
import { readT5Config } from '../models/t5/config.js';
import { formatPrompt, type TextTask } from '../models/t5/glue.js';
import type { T5Params } from '../models/t5/params.js';
import { readTaskRows, type TextTaskSpec, textTaskOf } from '../models/t5/task-spec.js';
import { T5Tokenizer } from '../models/tokenizers/t5.js';
import { ExpertCheckpoints } from './expert-checkpoints.js';
import type { MergeConfig } from './resolved-config.js';

/** One task's unlabeled prompts and, when it has them, its label words. */
export interface T5TaskPrompts {
  readonly name: string;
  readonly prompts: readonly string[];
  readonly labels?: readonly string[];
}

/** The inputs of a T5 merge from memory: prompts tokenized; label words' first tokens for `labels`. */
export async function t5TestTimeInputs(options: {
  readonly pretrained: T5Model;
  /** Task → expert, in task order (the tasks' order too). */
  readonly experts: ReadonlyMap<string, T5Params>;
  readonly tokenizer: T5Tokenizer;
  readonly tasks: readonly T5TaskPrompts[];
  readonly seed: number;
}): Promise<T5TestTimeInputs> {
  const { pretrained, tokenizer } = options;
  const tasks = [];
  const labelTokens: Record<string, number[]> = {};
  for (const task of options.tasks) {
    if (task.prompts.length === 0) throw new WemoeError(`task ${task.name}: has no prompts to adapt on`);
    tasks.push(tokenTask(task.name, await tokenizer.encode(task.prompts), pretrained.config.padTokenId));
    if (task.labels) labelTokens[task.name] = (await tokenizer.encode(task.labels)).map((ids) => ids[0]);
  }
  return {
    kind: 't5',
    t5: pretrained.config,
    pretrained: pretrained.params,
    experts: options.experts,
    tasks,
    labelTokens,
    seed: options.seed,
  };
}

/** A merge config's text task: its spec, how it is posed, and its rows. */
export async function readConfigTextTask(
  config: MergeConfig,
  name: string,
  method: string,
): Promise<{ spec: TextTaskSpec; task: TextTask; rows: TextRow[] }> {
  const where = config.source ?? 'merge config';
  const spec = config.tasks?.[name] as TextTaskSpec | undefined;
  if (!spec)
    throw new WemoeError(
      `${where}: tasks.${name}: method ${method} needs the unlabeled text rows of every expert's task`,
    );
  const task = textTaskOf(name, spec, where);
  return { spec, task, rows: await readTaskRows(spec, task) };
}

/** Loads the config's T5 models and each expert's task's prompts for test-time method `method`. */
export async function loadT5TestTimeInputs(config: MergeConfig, method: string): Promise<T5TestTimeInputs> {
  const pretrained = loadT5(config.models.pretrained);
  for (const dir of Object.values(config.models.experts))
    if (JSON.stringify(readT5Config(dir)) !== JSON.stringify(pretrained.config))
      throw new WemoeError(
        `${dir}: config.json differs from the pre-trained model's (${config.models.pretrained})`,
      );
  const experts = new ExpertCheckpoints(config.models.experts, (dir) => loadT5(dir).params);
  const tokenizer = T5Tokenizer.load(config.models.pretrained, {
    padTokenId: pretrained.config.padTokenId,
  });
  const tasks: T5TaskPrompts[] = [];
  for (const name of experts.keys()) {
    const { task, rows } = await readConfigTextTask(config, name, method);
    tasks.push({ name, prompts: rows.map((row) => formatPrompt(task.template, row)), labels: task.labels });
  }
  return t5TestTimeInputs({ pretrained, experts, tokenizer, tasks, seed: config.seed });
}
