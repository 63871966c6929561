/**
 * What the text demo runs on: a pre-trained T5, one expert per GLUE-like task, the tokenizer and each
 * task's test rows posed through its GLUE template (assets/text-suite/<task>/test.jsonl, the models in
 * assets/text-suite/models/{pretrained,<task>}).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assetsDir } from '../data/suite.js';
import { WemoeError } from '../errors.js';
import { type PosedTextTask, readTextTasks } from '../eval/text-eval.js';
import { loadT5, type T5Model } from '../models/t5/checkpoint.js';
import type { T5Params } from '../models/t5/params.js';
import { T5Tokenizer } from '../models/tokenizers/t5.js';

export interface TextDemoSuite {
  readonly kind: 'text';
  /** Shown in the report, e.g. "built-in text suite". */
  readonly name: string;
  readonly pretrained: T5Model;
  /** Task → expert, in task order. */
  readonly experts: ReadonlyMap<string, T5Params>;
  readonly tokenizer: T5Tokenizer;
  /** Each expert's task's test rows, in expert order: unlabeled prompts to adapt on, labelled rows to score. */
  readonly tasks: readonly PosedTextTask[];
  readonly taskLabels?: Record<string, string>;
}

/** The GLUE tasks in the order of the paper's table (the report's columns). */
export const TEXT_SUITE_TASKS = ['cola', 'mnli', 'mrpc', 'qnli', 'qqp', 'rte', 'sst2', 'stsb'] as const;

const TEXT_LABELS: Record<string, string> = {
  cola: 'CoLA',
  mnli: 'MNLI',
  mrpc: 'MRPC',
  qnli: 'QNLI',
  qqp: 'QQP',
  rte: 'RTE',
  sst2: 'SST-2',
  stsb: 'STS-B',
};

/** assets/text-suite */
export function textSuiteDir(): string {
  return join(assetsDir(), 'text-suite');
}

function modelDir(root: string, name: string): string {
  const dir = join(root, 'models', name);
  if (!existsSync(join(dir, 'config.json')))
    throw new WemoeError(
      `${dir}: no config.json; the text suite's models are missing (expected T5 folders under ${join(root, 'models')}: pretrained and one per task; \`npm run build:text-suite-models\` builds them)`,
    );
  return dir;
}

/**
 * The text suite in `root` (default assets/text-suite) on `tasks`; `limit` keeps the first test rows of
 * each task. Every expert must have the pre-trained model's config.
 */
export async function loadTextSuite(
  options: { readonly root?: string; readonly limit?: number; readonly tasks?: readonly string[] } = {},
): Promise<TextDemoSuite> {
  const root = options.root ?? textSuiteDir();
  const tasks = options.tasks ?? TEXT_SUITE_TASKS;
  const pretrainedDir = modelDir(root, 'pretrained');
  const dirs = tasks.map((task) => modelDir(root, task));
  const pretrained = loadT5(pretrainedDir);
  const experts = new Map<string, T5Params>();
  for (const [i, task] of tasks.entries()) {
    const expert = loadT5(dirs[i]);
    if (JSON.stringify(expert.config) !== JSON.stringify(pretrained.config))
      throw new WemoeError(`${dirs[i]}: config.json differs from the pre-trained model's (${pretrainedDir})`);
    experts.set(task, expert.params);
  }
  const tokenizer = T5Tokenizer.load(pretrainedDir, { padTokenId: pretrained.config.padTokenId });
  const specs = Object.fromEntries(tasks.map((task) => [task, { data: join(root, task, 'test.jsonl') }]));
  const posed = await readTextTasks(specs, { limit: options.limit, where: root });
  return {
    kind: 'text',
    name: 'built-in text suite',
    pretrained,
    experts,
    tokenizer,
    tasks: posed,
    taskLabels: TEXT_LABELS,
  };
}
