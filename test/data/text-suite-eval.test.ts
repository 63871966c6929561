/**
 * `wemoe eval` on a T5 folder takes the committed text suite as it is: each task's test.jsonl posed by the
 * built-in GLUE template of the task's name, scored as the library scores it. stsb is evaluated in-process
 * only: a random model answers no number, and the report refuses the NaN ρ of constant answers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEXT_SUITE_TASKS } from '../../scripts/text-suite/tasks.js';
import { readTextRows } from '../../src/data/text-rows.js';
import { evaluateTextTask } from '../../src/eval/text-task.js';
import { saveT5 } from '../../src/models/t5/checkpoint.js';
import { glueTask } from '../../src/models/t5/glue.js';
import { randomT5Params } from '../../src/models/t5/params.js';
import { T5Runner } from '../../src/models/t5/runner.js';
import { T5Tokenizer } from '../../src/models/tokenizers/t5.js';
import { tinyGatedT5 } from '../models/t5/tiny.js';
import { TINY_VOCAB, writeTinyTokenizer } from '../models/tokenizers/t5-fixture.js';

const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'text-suite');
const LIMIT = 6;
const CLASSIFIERS = TEXT_SUITE_TASKS.filter((t) => t.classes > 0);
const dir = mkdtempSync(join(tmpdir(), 'wemoe-text-suite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wemoe eval on the text suite', () => {
  it('scores a T5 folder on all eight test splits with the GLUE templates', async () => {
    const config = tinyGatedT5({ vocab_size: TINY_VOCAB.length });
    const params = randomT5Params(config, 3);
    const model = join(dir, 'tiny');
    saveT5(model, { config, params });
    writeTinyTokenizer(model);
    const yaml = join(dir, 'eval.yaml');
    writeFileSync(
      yaml,
      [
        `model: ${model}`,
        `limit: ${LIMIT}`,
        'tasks:',
        ...CLASSIFIERS.map((t) => `  ${t.id}: {data: ${join(ASSETS, t.id, 'test.jsonl')}}`),
        'output: report',
        '',
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', yaml, '--quiet'], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8'));
    expect(report.tasks).toEqual(CLASSIFIERS.map((t) => t.id));

    const runner = T5Runner.create({ config, params }, { threads: 1 });
    const tokenizer = T5Tokenizer.load(model);
    for (const { id } of TEXT_SUITE_TASKS) {
      const rows = readTextRows(join(ASSETS, id, 'test.jsonl')).slice(0, LIMIT);
      const want = await evaluateTextTask(runner, tokenizer, glueTask(id), rows);
      expect(want.answers).toHaveLength(LIMIT);
      expect(want.metric).toBe(id === 'stsb' ? 'spearman' : 'accuracy');
      if (id !== 'stsb') expect(report.methods.model[id].accuracy).toBe(want.value);
    }
    await runner.dispose();
  });
});
