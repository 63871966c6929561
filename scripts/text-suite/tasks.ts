/**
 * The eight tasks of the text suite, in GLUE's order of the WEMoE paper's table, each with GLUE's field
 * names and label coding (so the built-in T5 templates of src/models/t5/glue.ts pose them unchanged) and
 * the sizes of its splits.
 */
import type { Random } from '../../src/data/random.js';
import { WemoeError } from '../../src/errors.js';
import type { Sources } from './sources.js';
import type { Split } from './split.js';
import { buildCola } from './tasks/cola.js';
import { buildMnli } from './tasks/mnli.js';
import { buildMrpc } from './tasks/mrpc.js';
import { buildQnli } from './tasks/qnli.js';
import { buildQqp } from './tasks/qqp.js';
import type { TextSuiteRow } from './tasks/row.js';
import { buildRte } from './tasks/rte.js';
import { buildSst2 } from './tasks/sst2.js';
import { buildStsb } from './tasks/stsb.js';

export interface TextSuiteTask {
  readonly id: string;
  /** The GLUE columns the template reads, in order. */
  readonly fields: readonly string[];
  /** Number of classes; 0 for the 0–5 similarity score (STS-B). */
  readonly classes: number;
  readonly counts: Readonly<Record<Split, number>>;
  /** Whether the task reads Debian's fortunes (the others need only npm packages). */
  readonly fortunes: boolean;
  readonly build: (sources: Sources, split: Split, count: number, random: Random) => TextSuiteRow[];
}

const COUNTS = { train: 4000, test: 800 } as const;

export const TEXT_SUITE_TASKS: readonly TextSuiteTask[] = [
  { id: 'cola', fields: ['sentence'], classes: 2, counts: COUNTS, fortunes: false, build: buildCola },
  // The fortunes hold fewer than 2,000 clearly negative train-side sentences.
  {
    id: 'sst2',
    fields: ['sentence'],
    classes: 2,
    counts: { train: 3600, test: 800 },
    fortunes: true,
    build: buildSst2,
  },
  {
    id: 'mrpc',
    fields: ['sentence1', 'sentence2'],
    classes: 2,
    counts: COUNTS,
    fortunes: true,
    build: buildMrpc,
  },
  {
    id: 'qqp',
    fields: ['question1', 'question2'],
    classes: 2,
    counts: COUNTS,
    fortunes: false,
    build: buildQqp,
  },
  {
    id: 'qnli',
    fields: ['question', 'sentence'],
    classes: 2,
    counts: COUNTS,
    fortunes: false,
    build: buildQnli,
  },
  {
    id: 'mnli',
    fields: ['premise', 'hypothesis'],
    classes: 3,
    counts: { train: 4002, test: 801 },
    fortunes: false,
    build: buildMnli,
  },
  {
    id: 'rte',
    fields: ['sentence1', 'sentence2'],
    classes: 2,
    counts: COUNTS,
    fortunes: false,
    build: buildRte,
  },
  {
    id: 'stsb',
    fields: ['sentence1', 'sentence2'],
    classes: 0,
    counts: COUNTS,
    fortunes: false,
    build: buildStsb,
  },
];

export function textSuiteTask(id: string): TextSuiteTask {
  const task = TEXT_SUITE_TASKS.find((t) => t.id === id);
  if (!task)
    throw new WemoeError(
      `text suite task ${id}: expected one of ${TEXT_SUITE_TASKS.map((t) => t.id).join(', ')}`,
    );
  return task;
}
