import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvalConfig } from '../../src/config/eval-config.js';
import { parseMergeConfig } from '../../src/config/merge-config.js';
import { readParquetTextRows } from '../../src/data/parquet/text-parquet.js';
import { readTextRows } from '../../src/data/text-rows.js';
import { runEval } from '../../src/eval/run-eval.js';
import { evaluateTextTask } from '../../src/eval/text-task.js';
import { runMerge } from '../../src/methods/run-merge.js';
import { loadT5, saveT5 } from '../../src/models/t5/checkpoint.js';
import { formatPrompt, GLUE_MAX_NEW_TOKENS } from '../../src/models/t5/glue.js';
import { randomT5Params, type T5Params } from '../../src/models/t5/params.js';
import { T5Runner } from '../../src/models/t5/runner.js';
import { textTaskOf } from '../../src/models/t5/task-spec.js';
import { T5Tokenizer } from '../../src/models/tokenizers/t5.js';
import { referenceDecoder, referenceEncoder, referenceGreedy } from '../models/t5/reference.js';
import { tinyGatedT5 } from '../models/t5/tiny.js';
import { TINY_VOCAB, writeTinyTokenizer } from '../models/tokenizers/t5-fixture.js';

// Three tiny T5 experts around a tiny pre-trained T5, merged by every static method and evaluated on
// text tasks: the merged weights are checked against the formula, the reports against a float64 reference.
const dir = mkdtempSync(join(tmpdir(), 'wemoe-t5-merge-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = tinyGatedT5({ vocab_size: TINY_VOCAB.length });
const pre = randomT5Params(config, 9);
const TASKS = ['a', 'b', 'c'];

/** pre + 0.3 · (another random model): an expert whose task vector is dense and non-trivial. */
function expertParams(seed: number): T5Params {
  const other = randomT5Params(config, seed);
  return new Map(
    [...pre].map(([name, t]) => {
      const o = other.get(name)!.data as Float32Array;
      return [name, { ...t, data: (t.data as Float32Array).map((v, i) => v + 0.3 * o[i]) }];
    }),
  );
}

function saveFolder(name: string, params: T5Params): string {
  const folder = join(dir, name);
  saveT5(folder, { config, params });
  writeTinyTokenizer(folder);
  return folder;
}

const pretrained = saveFolder('pre', pre);
const experts = Object.fromEntries(TASKS.map((t, i) => [t, saveFolder(`expert-${t}`, expertParams(20 + i))]));

// cola by its built-in GLUE template and labels (generated answers); an own task scored over its labels.
writeFileSync(
  join(dir, 'cola.tsv'),
  ['sentence\tlabel', 'the cat sat\t1', 'cat the\t0', 'the cat sat .\t1', 'sat sat\t0', ''].join('\n'),
);
writeFileSync(
  join(dir, 'own.jsonl'),
  ['the cat', 'cats sat', 'a cat sat .', 'the the', 'sat', 'the cat sat']
    .map((text, i) => JSON.stringify({ text, answer: i % 2 }))
    .join('\n'),
);
const TASKS_YAML = {
  cola: { data: 'cola.tsv' },
  own: {
    data: 'own.jsonl',
    template: '{text} ?',
    labels: ['no', 'yes'],
    label_column: 'answer',
    mode: 'score',
  },
};

/** The float64 reference's greedy answer (decoded) to each prompt. */
async function referenceAnswers(params: T5Params, tokenizer: T5Tokenizer, prompts: string[]) {
  const ids = await tokenizer.encode(prompts);
  const generated = ids.map((row) =>
    referenceGreedy(
      config,
      params,
      row,
      row.map(() => 1),
      GLUE_MAX_NEW_TOKENS,
    ),
  );
  return tokenizer.decode(generated);
}

/** The float64 reference's best label (by sequence log-probability) of each prompt. */
async function referenceScoring(
  params: T5Params,
  tokenizer: T5Tokenizer,
  prompts: string[],
  labels: string[],
) {
  const labelIds = await tokenizer.encode(labels);
  const ids = await tokenizer.encode(prompts);
  return ids.map((row) => {
    const mask = row.map(() => 1);
    const enc = referenceEncoder(config, params, row, mask);
    const scores = labelIds.map((target) => {
      const logits = referenceDecoder(
        config,
        params,
        [config.decoderStartTokenId, ...target.slice(0, -1)],
        enc,
        mask,
      );
      return target.reduce((sum, id, s) => {
        const max = Math.max(...logits[s]);
        const lse = max + Math.log(logits[s].reduce((z, v) => z + Math.exp(v - max), 0));
        return sum + logits[s][id] - lse;
      }, 0);
    });
    return scores.indexOf(Math.max(...scores));
  });
}

describe('static merges of T5 experts, evaluated on text tasks', () => {
  const methods: [string, Record<string, unknown>][] = [
    ['simple_average', {}],
    ['task_arithmetic', { scaling_factor: 0.4 }],
    ['ties', { scaling_factor: 0.5, threshold: 50 }],
    ['dare', { scaling_factor: 0.5, drop_rate: 0.3 }],
  ];

  it.each(methods)(
    '%s: a complete T5 folder whose report matches the float64 reference',
    async (method, parameters) => {
      const output = join(dir, `merged-${method}`);
      const merge = parseMergeConfig(
        { method, parameters, models: { pretrained, experts }, output },
        { source: `${method}.yaml`, baseDir: dir },
      );
      await runMerge(merge, { log: () => {} });
      expect(existsSync(join(output, 'config.json'))).toBe(true);
      expect(readFileSync(join(output, 'tokenizer.json'), 'utf8')).toBe(
        readFileSync(join(pretrained, 'tokenizer.json'), 'utf8'),
      );
      const merged = loadT5(output);
      expect(merged.config).toEqual(config);

      if (method === 'task_arithmetic' || method === 'simple_average') {
        const scale = method === 'task_arithmetic' ? 0.4 : 1 / TASKS.length;
        const loaded = TASKS.map((t) => loadT5(experts[t]).params);
        for (const [name, t] of pre) {
          const p = t.data as Float32Array;
          const want = p.map(
            (v, i) =>
              v + scale * loaded.reduce((s, e) => s + ((e.get(name)!.data as Float32Array)[i] - v), 0),
          );
          const got = merged.params.get(name)!.data as Float32Array;
          for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
        }
      }

      const evalConfig = parseEvalConfig(
        { model: output, tasks: TASKS_YAML, batch_size: 3, output: join(dir, `report-${method}`) },
        { source: 'eval.yaml', baseDir: dir },
      );
      const { report, paths } = await runEval(evalConfig, { threads: 1, progress: 'none', log: () => {} });
      expect(report.tasks).toEqual(['cola', 'own']);
      expect(JSON.parse(readFileSync(paths!.json, 'utf8'))).toBeTruthy();

      const tokenizer = T5Tokenizer.load(output);
      const colaTask = textTaskOf('cola', { data: join(dir, 'cola.tsv') }, 'test');
      const colaRows = readTextRows(join(dir, 'cola.tsv'));
      const answers = await referenceAnswers(
        merged.params,
        tokenizer,
        colaRows.map((r) => formatPrompt(colaTask.template, r)),
      );
      const words = await tokenizer.decode(
        await tokenizer.encode(colaRows.map((r) => colaTask.labels![r.label as number])),
      );
      const colaAccuracy = answers.filter((a, i) => a === words[i]).length / colaRows.length;
      expect(report.methods[0].per_task.cola).toEqual({ accuracy: colaAccuracy, loss: 0 });

      const ownRows = readTextRows(join(dir, 'own.jsonl'));
      const picked = await referenceScoring(
        merged.params,
        tokenizer,
        ownRows.map((r) => `${r.text} ?`),
        ['no', 'yes'],
      );
      const ownAccuracy = picked.filter((p, i) => p === ownRows[i].answer).length / ownRows.length;
      expect(report.methods[0].per_task.own.accuracy).toBe(ownAccuracy);
      expect(report.methods[0].average.accuracy).toBeCloseTo((colaAccuracy + ownAccuracy) / 2, 12);

      // The same as the library's evaluation of the folder, answer by answer.
      const runner = T5Runner.load(output, { threads: 1 });
      const direct = await evaluateTextTask(runner, tokenizer, colaTask, colaRows, { batchSize: 2 });
      await runner.dispose();
      expect(direct.value).toBe(colaAccuracy);
      // The tiny vocabulary cannot say 'acceptable', so cola's accuracy is 0: the answers are what is checked.
      expect(direct.answers).toEqual(answers);
      expect(answers.some((a) => a !== '')).toBe(true);
    },
  );
});

describe('test-time methods on T5 folders', () => {
  it.each(['adamerging', 'wemoe'])(
    "%s: without the tasks' text rows, one line naming the task, nothing written",
    async (method) => {
      const output = join(dir, `tta-${method}`);
      const merge = parseMergeConfig(
        { method, models: { pretrained, experts }, output },
        { source: 'm.yaml', baseDir: dir },
      );
      await expect(runMerge(merge, { log: () => {} })).rejects.toThrow(
        `m.yaml: tasks.a: method ${method} needs the unlabeled text rows of every expert's task`,
      );
      expect(existsSync(output)).toBe(false);
    },
  );
});

describe('text tasks of an eval config', () => {
  it('needs no heads for a T5 folder, and names a task that is neither GLUE nor templated', async () => {
    const config = parseEvalConfig(
      { model: 'pre', tasks: { sst: { data: 'own.jsonl' } } },
      { source: 'e.yaml', baseDir: dir },
    );
    expect(config.heads).toBeUndefined();
    await expect(runEval(config, { threads: 1 })).rejects.toThrow(
      /^e\.yaml: tasks\.sst: no template given and GLUE task sst: expected one of cola, mnli/,
    );
    expect(() => textTaskOf('cola', { data: 'x', labels: ['no'] }, 'e.yaml')).toThrow(
      'e.yaml: tasks.cola.labels: given without a template; expected both or neither',
    );
    expect(textTaskOf('mine', { data: 'x', template: '{text}' }, 'e.yaml').metric).toBe('spearman');
  });
});

describe('GLUE parquet splits as text tasks', () => {
  it('reads the validation split by default, the same rows and scores as the TSV file', async () => {
    const tsv = readTextRows(join(dir, 'cola.tsv'));
    const folder = join(dir, 'glue-cola', 'data');
    mkdirSync(folder, { recursive: true });
    parquetWriteFile({
      filename: join(folder, 'validation-00000-of-00001.parquet'),
      columnData: [
        { name: 'sentence', data: tsv.map((r) => r.sentence as string), type: 'STRING' },
        { name: 'label', data: tsv.map((r) => BigInt(r.label)), type: 'INT64' },
      ],
    });
    expect(await readParquetTextRows(join(dir, 'glue-cola'), 'validation')).toEqual(tsv);
    const config = parseEvalConfig(
      { model: 'pre', tasks: { cola: { data: 'glue-cola' }, own: TASKS_YAML.own } },
      { source: 'e.yaml', baseDir: dir },
    );
    expect(config.tasks.cola.split).toBe('validation');
    expect(config.tasks.own.split).toBe('test');
    const fromParquet = await runEval(config, { threads: 1 });
    const fromTsv = await runEval(
      { ...config, tasks: { cola: { data: join(dir, 'cola.tsv'), split: 'test' } } },
      { threads: 1 },
    );
    expect(fromParquet.report.methods[0].per_task.cola).toEqual(fromTsv.report.methods[0].per_task.cola);
    await expect(
      runEval(
        { ...config, tasks: { cola: { data: join(dir, 'glue-cola'), split: 'train' } } },
        { threads: 1 },
      ),
    ).rejects.toThrow(
      `${join(dir, 'glue-cola')}: no parquet file of split train (expected data/train-*.parquet; found splits: validation)`,
    );
  });
});
