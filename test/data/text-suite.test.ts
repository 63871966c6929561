/**
 * The committed text suite (assets/text-suite): sizes, GLUE fields and label coding, exact label balance,
 * train and test drawn from disjoint source items, the GLUE templates apply, a rebuild from the seed
 * reproduces the files byte for byte, and the pre-training corpus holds no test item.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSplitText } from '../../scripts/text-suite/build.js';
import { pretrainingCorpus } from '../../scripts/text-suite/corpus.js';
import { Sources } from '../../scripts/text-suite/sources.js';
import { DEFAULT_SEED, sideOf } from '../../scripts/text-suite/split.js';
import { TEXT_SUITE_TASKS, textSuiteTask } from '../../scripts/text-suite/tasks.js';
import { readTextRows, type TextRow } from '../../src/data/text-rows.js';
import { formatPrompt, glueTask, targetText } from '../../src/models/t5/glue.js';

const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'text-suite');
const path = (task: string, split: string) => join(ASSETS, task, `${split}.jsonl`);
const rowsOf = (task: string, split: string): TextRow[] => readTextRows(path(task, split));
const inputOf = (row: TextRow, fields: readonly string[]) => JSON.stringify(fields.map((f) => row[f]));

describe('the committed text suite', () => {
  it('has the eight GLUE tasks of the T5 templates, in order', () => {
    expect(TEXT_SUITE_TASKS.map((t) => t.id)).toEqual([
      'cola',
      'sst2',
      'mrpc',
      'qqp',
      'qnli',
      'mnli',
      'rte',
      'stsb',
    ]);
  });

  describe.each(TEXT_SUITE_TASKS.map((t) => [t.id, t] as const))('%s', (id, task) => {
    const train = rowsOf(id, 'train');
    const test = rowsOf(id, 'test');

    it('has its sizes, and every row GLUE fields (non-empty text), label, idx and source', () => {
      expect([train.length, test.length]).toEqual([task.counts.train, task.counts.test]);
      expect(test.length).toBeGreaterThanOrEqual(500);
      expect(test.length).toBeLessThanOrEqual(1000);
      for (const rows of [train, test])
        rows.forEach((row, i) => {
          expect(Object.keys(row)).toEqual([...task.fields, 'label', 'idx', 'source']);
          for (const field of task.fields) expect((row[field] as string).length).toBeGreaterThan(0);
          expect(row.idx).toBe(i);
          expect(row.source).toMatch(/^(wn:[nvar]\d{8}|fortune:[a-z-]+:\d+)$/);
        });
    });

    it('has every label equally often (classes) or scores spread over 0–5 with one decimal (stsb)', () => {
      for (const rows of [train, test]) {
        const labels = rows.map((r) => r.label as number);
        if (task.classes === 0) {
          for (const l of labels) {
            expect(l).toBeGreaterThanOrEqual(0);
            expect(l).toBeLessThanOrEqual(5);
            expect(Math.round(l * 10) / 10).toBe(l);
          }
          // Each fifth of the range holds 12–28% of the scores.
          const bins = [0, 1, 2, 3, 4].map(
            (b) => labels.filter((l) => Math.min(4, Math.floor(l)) === b).length,
          );
          for (const n of bins) expect(n / labels.length).toBeGreaterThan(0.12);
          for (const n of bins) expect(n / labels.length).toBeLessThan(0.28);
        } else {
          const counts = Array.from({ length: task.classes }, (_, c) => labels.filter((l) => l === c).length);
          expect(counts.reduce((a, b) => a + b, 0)).toBe(rows.length);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
      }
    });

    it('draws train and test from disjoint source items, on the sides the seed gives them', () => {
      const trainSources = new Set(train.map((r) => r.source));
      expect(test.filter((r) => trainSources.has(r.source))).toEqual([]);
      expect(new Set(test.map((r) => sideOf(DEFAULT_SEED, r.source as string)))).toEqual(new Set(['test']));
      expect(new Set(train.map((r) => sideOf(DEFAULT_SEED, r.source as string)))).toEqual(new Set(['train']));
      const trainInputs = new Set(train.map((r) => inputOf(r, task.fields)));
      expect(test.filter((r) => trainInputs.has(inputOf(r, task.fields)))).toEqual([]);
    });

    it('is posed by the built-in GLUE template and label words', () => {
      const glue = glueTask(id);
      const prompt = formatPrompt(glue.template, test[0]);
      for (const field of task.fields) expect(prompt).toContain(test[0][field] as string);
      const target = targetText(glue, test[0].label as number);
      expect(task.classes === 0 ? target : glue.labels).toEqual(
        task.classes === 0 ? (test[0].label as number).toFixed(1) : expect.arrayContaining([target]),
      );
      expect(glue.labels?.length ?? 0).toBe(task.classes);
    });
  });

  it('codes labels as GLUE does: entailment 0 for qnli, mnli and rte; acceptable, positive, equivalent, duplicate 1', () => {
    const first = (id: string, label: number) => rowsOf(id, 'test').find((r) => r.label === label)!;
    expect(targetText(glueTask('qnli'), first('qnli', 0).label as number)).toBe('yes');
    expect(glueTask('mnli').labels).toEqual(['entailment', 'neutral', 'contradiction']);
    expect(targetText(glueTask('rte'), 0)).toBe('yes');
    for (const id of ['cola', 'sst2', 'mrpc', 'qqp'])
      expect(['acceptable', 'positive', 'yes']).toContain(targetText(glueTask(id), 1));
    // A sample row of each construction, as the README describes it.
    const mnli = rowsOf('mnli', 'test').filter((r) => r.label === 0);
    expect(mnli.every((r) => r.premise !== r.hypothesis)).toBe(true);
    const rte = rowsOf('rte', 'test').filter((r) => r.label === 0);
    expect(rte.every((r) => (r.sentence1 as string).split('. ').length === 3)).toBe(true);
  });
});

describe('rebuilding from the seed', () => {
  const sources = new Sources(DEFAULT_SEED);

  it.each(['rte', 'qqp'])('writes %s test.jsonl byte for byte as committed', (id) => {
    expect(buildSplitText(sources, textSuiteTask(id), 'test')).toBe(readFileSync(path(id, 'test'), 'utf8'));
  });

  it('gives a corpus without any test-side gloss', () => {
    const testDefinitions = new Set(rowsOf('stsb', 'test').map((r) => r.sentence1 as string));
    const trainDefinitions = new Set(rowsOf('stsb', 'train').map((r) => r.sentence1 as string));
    let seenTrain = 0;
    let documents = 0;
    for (const doc of pretrainingCorpus({ fortunes: false })) {
      documents++;
      if (doc.source !== 'wordnet') continue;
      const definition = doc.text.slice(
        doc.text.indexOf(': ') + 2,
        doc.text.indexOf('.', doc.text.indexOf(': ')),
      );
      expect(testDefinitions.has(definition)).toBe(false);
      if (trainDefinitions.has(definition)) seenTrain++;
    }
    expect(documents).toBeGreaterThan(90_000);
    expect(seenTrain).toBeGreaterThan(trainDefinitions.size * 0.9);
  });
});
