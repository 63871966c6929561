import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTextRows } from '../../src/data/text-rows.js';
import { scoreTextTasks } from '../../src/eval/text-eval.js';
import { evaluateTextTask } from '../../src/eval/text-task.js';
import { glueTask, type TextTask } from '../../src/models/t5/glue.js';
import { randomT5Params } from '../../src/models/t5/params.js';
import { T5Runner } from '../../src/models/t5/runner.js';
import { classifyByScoring, generateAnswers } from '../../src/models/t5/text-to-text.js';
import { T5Tokenizer } from '../../src/models/tokenizers/t5.js';
import { tinyGatedT5 } from '../models/t5/tiny.js';
import { TINY_VOCAB, writeTinyTokenizer } from '../models/tokenizers/t5-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-text-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeTinyTokenizer(dir);

const config = tinyGatedT5({ vocab_size: TINY_VOCAB.length });
const TASK: TextTask = {
  template: 'the {sentence}',
  labels: ['yes', 'no'],
  split: 'validation',
  metric: 'accuracy',
};
const SENTENCES = ['cat sat', 'cats', 'sat. no', 'the the cat'];

describe('text task evaluation', () => {
  it('reads JSONL and TSV rows', () => {
    writeFileSync(
      join(dir, 'a.jsonl'),
      '{"sentence": "cat sat", "label": 1}\n\n{"sentence": "cats", "label": 0}\n',
    );
    writeFileSync(join(dir, 'a.tsv'), 'sentence\tlabel\r\ncat sat\t1\r\ncats\t0\r\n');
    const want = [
      { sentence: 'cat sat', label: 1 },
      { sentence: 'cats', label: 0 },
    ];
    expect(readTextRows(join(dir, 'a.jsonl'))).toEqual(want);
    expect(readTextRows(join(dir, 'a.tsv'))).toEqual(want);
    writeFileSync(join(dir, 'b.tsv'), 'sentence\tlabel\nx\n');
    expect(() => readTextRows(join(dir, 'b.tsv'))).toThrow(
      `${join(dir, 'b.tsv')}: line 2 has 1 fields, the header 2`,
    );
    expect(() => readTextRows(join(dir, 'c.csv'))).toThrow('expected a .jsonl or .tsv file');
  });

  it('measures accuracy of the scored label words and of the generated answers', async () => {
    const runner = T5Runner.create({ config, params: randomT5Params(config, 31) }, { threads: 1 });
    const tokenizer = T5Tokenizer.load(dir);
    const prompts = SENTENCES.map((s) => `the ${s}`);
    const predicted = await classifyByScoring(runner, tokenizer, prompts, ['yes', 'no']);
    // Rows 0–2 labelled as the model scores them, row 3 against it: accuracy 3/4.
    const labels = predicted.map((p, i) => (i === 3 ? 1 - p : p));
    const rows = SENTENCES.map((sentence, i) => ({ sentence, label: labels[i] }));
    const scored = await evaluateTextTask(runner, tokenizer, TASK, rows, { mode: 'score', batchSize: 3 });
    expect(scored).toEqual({
      metric: 'accuracy',
      value: 0.75,
      answers: predicted.map((p) => ['yes', 'no'][p]),
    });
    const generated = await evaluateTextTask(runner, tokenizer, TASK, rows, { batchSize: 3 });
    const answers = await generateAnswers(runner, tokenizer, prompts, { maxNewTokens: 9 });
    expect(generated.answers).toEqual(answers);
    expect(generated.value).toBe(answers.filter((a, i) => a === ['yes', 'no'][labels[i]]).length / 4);
    const stsb = await evaluateTextTask(runner, tokenizer, glueTask('stsb'), [
      { sentence1: 'cat', sentence2: 'sat', label: 3.8 },
      { sentence1: 'no', sentence2: 'cats', label: 1.2 },
    ]);
    // The tiny model says no number: every answer reads as 0, a constant ranking (NaN, as scipy).
    expect(stsb.metric).toBe('spearman');
    expect(stsb.value).toBeNaN();
    await expect(
      evaluateTextTask(runner, tokenizer, TASK, [{ sentence: 'x', label: 'yes' }]),
    ).rejects.toThrow('row 0: column label is not a number');
    await runner.dispose();
  });

  it('shows progress over the batches of every task', async () => {
    const runner = T5Runner.create({ config, params: randomT5Params(config, 31) }, { threads: 1 });
    const tokenizer = T5Tokenizer.load(dir);
    const rows = SENTENCES.map((sentence, i) => ({ sentence, label: i % 2 }));
    const posed = (name: string, n: number) => ({
      name,
      spec: { data: 'rows.jsonl' },
      task: TASK,
      rows: rows.slice(0, n),
    });
    const lines: string[] = [];
    const scores = await scoreTextTasks(runner, tokenizer, [posed('a', 4), posed('b', 3)], {
      batchSize: 2,
      progress: 'lines',
      label: 'eval x',
      log: (line) => lines.push(line),
    });
    expect(Object.keys(scores.perTask)).toEqual(['a', 'b']);
    // 2 + 2 batches, one line each (fewer than the 10 lines a long run is cut to).
    expect(lines).toEqual([
      'eval x 1/4 batches a',
      'eval x 2/4 batches a',
      'eval x 3/4 batches b',
      'eval x 4/4 batches b',
    ]);
    await runner.dispose();
  });
});
