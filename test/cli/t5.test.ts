import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTextRows } from '../../src/data/text-rows.js';
import { evaluateTextTask } from '../../src/eval/text-task.js';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { saveT5 } from '../../src/models/t5/checkpoint.js';
import { randomT5Params } from '../../src/models/t5/params.js';
import { T5Runner } from '../../src/models/t5/runner.js';
import { T5Tokenizer } from '../../src/models/tokenizers/t5.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { referenceGreedy } from '../models/t5/reference.js';
import { tinyGatedT5 } from '../models/t5/tiny.js';
import { TINY_VOCAB, writeTinyTokenizer } from '../models/tokenizers/t5-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-cli-t5-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = tinyGatedT5({ vocab_size: TINY_VOCAB.length });
const params = randomT5Params(config, 9);
const model = join(dir, 'flan');
saveT5(model, { config, params });
writeTinyTokenizer(model);

const i64 = (rows: number[][]): Tensor => ({
  dtype: 'I64',
  shape: [rows.length, rows[0].length],
  data: BigInt64Array.from(rows.flat().map(BigInt)),
});

function wemoe(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

describe('wemoe forward and generate on a T5 folder', () => {
  it('forward writes encoder_last_hidden_state and logits (one start token by default)', async () => {
    const input = join(dir, 'x.safetensors');
    const output = join(dir, 'y.safetensors');
    const ids = i64([
      [4, 5, 9, 1],
      [12, 1, 0, 0],
    ]);
    const mask = i64([
      [1, 1, 1, 1],
      [1, 1, 0, 0],
    ]);
    saveSafetensors(input, { input_ids: ids, attention_mask: mask });
    const run = wemoe('forward', '--model', model, '--input', input, '--output', output, '--threads', '1');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${output}: encoder_last_hidden_state [2, 4, 8], logits [2, 1, 14]\n`);
    const runner = T5Runner.create({ config, params }, { threads: 1 });
    const want = await runner.forward(ids, mask);
    await runner.dispose();
    const source = openSafetensors(output);
    expect(source.info('logits').dtype).toBe('F32');
    expect(source.readF32('logits')).toEqual(want.logits.data);
    expect(source.readF32('encoder_last_hidden_state')).toEqual(want.encoder_last_hidden_state.data);
    source.close();

    saveSafetensors(input, {
      input_ids: { ...ids, dtype: 'I32', data: Int32Array.from([4, 5, 9, 1, 12, 1, 0, 0]) },
    });
    const bad = wemoe('forward', '--model', model, '--input', input, '--output', output);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${input}: input_ids is I32 [2, 4], expected I64 [B, S] token ids`);
  });

  it('generate prints the greedy answers', () => {
    const run = wemoe('generate', '--model', model, '--max-new-tokens', '5', '--json', 'the cat sat', 'no');
    expect(run.stderr).toBe('');
    const answers = JSON.parse(run.stdout) as string[];
    const greedy = [
      [4, 5, 9, 1],
      [12, 1],
    ].map((ids) =>
      referenceGreedy(
        config,
        params,
        ids,
        ids.map(() => 1),
        5,
      ),
    );
    // The answers' pieces, Metaspace-decoded: '▁' starts a word, the first one's space is dropped.
    const pieces = greedy.map((row) =>
      row
        .filter((id) => id > 2)
        .map((id) => TINY_VOCAB[id][0])
        .join('')
        .replaceAll('▁', ' ')
        .replace(/^ /, ''),
    );
    expect(answers).toEqual(pieces);
    const lines = wemoe('generate', '--model', model, '--max-new-tokens', '5', 'the cat sat', 'no');
    expect(lines.stdout).toBe(pieces.map((p) => `${p}\n`).join(''));
    const zero = wemoe('generate', '--model', model, '--max-new-tokens', '0', 'x');
    expect(zero.stderr).toContain('generate: --max-new-tokens 0: expected a positive integer');
  });

  it('tokenize prints the T5 ids of each text (</s> appended), as the tokenizer gives them', async () => {
    const texts = ['sentence: a b', 'question'];
    const want = await T5Tokenizer.load(model).encode(texts);
    expect(want.every((row) => row[row.length - 1] === 1)).toBe(true);
    const run = wemoe('tokenize', '--model', model, '--json', ...texts);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(want);
  });

  it('eval scores the folder on a YAML config of text tasks and writes the report', async () => {
    writeFileSync(
      join(dir, 'own.jsonl'),
      ['the cat', 'cats sat', 'a cat sat .', 'sat']
        .map((text, i) => JSON.stringify({ text, label: i % 2 }))
        .join('\n'),
    );
    const yaml = join(dir, 'eval.yaml');
    writeFileSync(
      yaml,
      [
        'model: flan',
        'tasks:',
        '  own: {data: own.jsonl, template: "{text} ?", labels: [no, yes], mode: score}',
        'output: report',
        '',
      ].join('\n'),
    );
    const run = wemoe('eval', yaml, '--quiet');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('own');
    const report = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8'));
    const runner = T5Runner.create({ config, params }, { threads: 1 });
    const rows = readTextRows(join(dir, 'own.jsonl'));
    const want = await evaluateTextTask(
      runner,
      T5Tokenizer.load(model),
      { template: '{text} ?', labels: ['no', 'yes'], split: 'test', metric: 'accuracy' },
      rows,
      { mode: 'score' },
    );
    await runner.dispose();
    expect(report.tasks).toEqual(['own']);
    // FusionBench's Flan-T5 keys: a text task's one metric, no loss.
    expect(report.task_metrics).toEqual({ own: 'accuracy' });
    expect(report.methods.model.own).toEqual({ accuracy: want.value });
    expect(report.methods.model.model_info.trainable_params).toBe(0);
  });
});
