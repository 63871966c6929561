/**
 * A reduced text suite for the demo's tests, as files in the text suite's layout: a tiny random T5
 * (d_model 8, one block each side, the tiny tokenizer) as models/pretrained, eight experts perturbed around
 * it as models/<task>, and six test rows per GLUE task in <task>/test.jsonl (GLUE field names).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEXT_SUITE_TASKS } from '../../src/demo/text-suite.js';
import { saveT5 } from '../../src/models/t5/checkpoint.js';
import { randomT5Params } from '../../src/models/t5/params.js';
import { perturbedExperts, tinyGatedT5 } from '../models/t5/tiny.js';
import { TINY_VOCAB, writeTinyTokenizer } from '../models/tokenizers/t5-fixture.js';

export const ROWS_PER_TASK = 6;
const WORDS = ['the cat sat .', 'a cat', 'the cat', 'sat the cat .', 'cat sat', 'the . cat'];

/** Row i of a task: its GLUE fields from the tiny vocabulary's words, a label cycling over its classes. */
function row(task: string, i: number): Record<string, unknown> {
  const a = WORDS[i % WORDS.length];
  const b = WORDS[(i + 2) % WORDS.length];
  const fields: Record<string, Record<string, unknown>> = {
    cola: { sentence: a, label: i % 2 },
    sst2: { sentence: a, label: i % 2 },
    mrpc: { sentence1: a, sentence2: b, label: i % 2 },
    qqp: { question1: a, question2: b, label: i % 2 },
    qnli: { question: a, sentence: b, label: i % 2 },
    mnli: { premise: a, hypothesis: b, label: i % 3 },
    rte: { sentence1: a, sentence2: b, label: i % 2 },
    stsb: { sentence1: a, sentence2: b, label: i % 6 },
  };
  return { ...fields[task], idx: i };
}

/** Writes the reduced suite under `root` (assets/text-suite's layout). */
export function writeReducedTextSuite(root: string): void {
  const config = tinyGatedT5({ vocab_size: TINY_VOCAB.length });
  const params = randomT5Params(config, 5);
  const experts = perturbedExperts(params, TEXT_SUITE_TASKS, { seed: 60, scale: 0.3 });
  const models = join(root, 'models');
  for (const [name, p] of [['pretrained', params] as const, ...experts]) {
    saveT5(join(models, name), { config, params: p });
    writeTinyTokenizer(join(models, name));
  }
  for (const task of TEXT_SUITE_TASKS) {
    mkdirSync(join(root, task), { recursive: true });
    const lines = Array.from({ length: ROWS_PER_TASK }, (_, i) => JSON.stringify(row(task, i)));
    writeFileSync(join(root, task, 'test.jsonl'), `${lines.join('\n')}\n`);
  }
}
