import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseT5Config } from '../../../src/models/t5/config.js';
import {
  formatPrompt,
  GLUE_MAX_NEW_TOKENS,
  GLUE_TASKS,
  glueTask,
  parseScore,
  targetText,
} from '../../../src/models/t5/glue.js';
import { randomT5Params } from '../../../src/models/t5/params.js';
import { T5Runner } from '../../../src/models/t5/runner.js';
import {
  classifyByScoring,
  generateAnswers,
  labelLogProbs,
  matchLabel,
} from '../../../src/models/t5/text-to-text.js';
import { T5Tokenizer } from '../../../src/models/tokenizers/t5.js';
import { TINY_VOCAB, writeTinyTokenizer } from '../tokenizers/t5-fixture.js';
import { referenceDecoder, referenceEncoder, referenceGreedy } from './reference.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-t5-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeTinyTokenizer(dir);

// A Flan-T5-shaped tiny model over the tiny tokenizer's 14 pieces.
const config = parseT5Config({
  model_type: 't5',
  vocab_size: TINY_VOCAB.length,
  d_model: 16,
  d_kv: 4,
  d_ff: 24,
  num_layers: 2,
  num_heads: 2,
  relative_attention_num_buckets: 8,
  relative_attention_max_distance: 12,
  feed_forward_proj: 'gated-gelu',
  tie_word_embeddings: false,
});
const params = randomT5Params(config, 21);
const PROMPTS = ['the cat sat', 'cats sat.', 'no'];
const LABELS = ['yes', 'no', 'the cat'];

function logSoftmax(row: Float64Array): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  return Array.from(row, (v) => v - lse);
}

describe('T5 text-to-text classification', () => {
  it('scores label tokens as the float64 reference and picks the best label', async () => {
    const tokenizer = T5Tokenizer.load(dir);
    const runner = T5Runner.create({ config, params }, { threads: 1 });
    const labelIds = await tokenizer.encode(LABELS);
    expect(labelIds).toEqual([
      [11, 1],
      [12, 1],
      [4, 5, 1],
    ]);
    const batch = await tokenizer.batch(PROMPTS);
    const got = await labelLogProbs(runner, batch, labelIds);
    const promptIds = await tokenizer.encode(PROMPTS);
    const want = promptIds.map((ids) => {
      const enc = referenceEncoder(
        config,
        params,
        ids,
        ids.map(() => 1),
      );
      return labelIds.map((target) => {
        const logits = referenceDecoder(
          config,
          params,
          [0, ...target.slice(0, -1)],
          enc,
          ids.map(() => 1),
        );
        return target.reduce((s, token, i) => s + logSoftmax(logits[i])[token], 0);
      });
    });
    const gap = got.flat().reduce((m, v, i) => Math.max(m, Math.abs(v - want.flat()[i])), 0);
    expect(gap).toBeLessThan(1e-4);
    const best = want.map((row) => row.indexOf(Math.max(...row)));
    expect(await classifyByScoring(runner, tokenizer, PROMPTS, LABELS)).toEqual(best);
    await runner.dispose();
  });

  it('generates the reference greedy answers and decodes them to text', async () => {
    const tokenizer = T5Tokenizer.load(dir);
    const runner = T5Runner.create({ config, params }, { threads: 1 });
    const answers = await generateAnswers(runner, tokenizer, PROMPTS, { maxNewTokens: GLUE_MAX_NEW_TOKENS });
    const promptIds = await tokenizer.encode(PROMPTS);
    const greedy = promptIds.map((ids) =>
      referenceGreedy(
        config,
        params,
        ids,
        ids.map(() => 1),
        GLUE_MAX_NEW_TOKENS,
      ),
    );
    expect(answers).toEqual(await tokenizer.decode(greedy));
    expect(answers.some((a) => a.length > 0)).toBe(true);
    expect(matchLabel('no', LABELS)).toBe(1);
    expect(matchLabel('No', LABELS)).toBe(-1);
    await runner.dispose();
  });
});

describe('GLUE tasks as FusionBench poses them', () => {
  it('fills templates from a row and maps labels to answer words', () => {
    const mnli = glueTask('mnli');
    expect(
      formatPrompt(mnli.template, { premise: 'A cat sat.', hypothesis: 'An animal sat.', label: 0 }),
    ).toBe(
      "Does the premise: 'A cat sat.' logically imply, contradict, or is neutral to the hypothesis: 'An animal sat.'? Answere with 'entailment', 'contradiction', or 'neutral'.",
    );
    expect(targetText(mnli, 2)).toBe('contradiction');
    expect(targetText(glueTask('qnli'), 0)).toBe('yes');
    expect(targetText(glueTask('stsb'), 3.8)).toBe('3.8');
    expect(targetText(glueTask('stsb'), 4)).toBe('4.0');
    expect(mnli.split).toBe('validation_matched');
    expect(Object.keys(GLUE_TASKS).sort()).toEqual([
      'cola',
      'mnli',
      'mrpc',
      'qnli',
      'qqp',
      'rte',
      'sst2',
      'stsb',
    ]);
    expect(() => formatPrompt(glueTask('sst2').template, { text: 'x' })).toThrow(
      'template field {sentence}: the row has no text or number column sentence',
    );
    expect(() => glueTask('wnli')).toThrow('GLUE task wnli: expected one of cola, mnli');
  });

  it('reads generated STS-B scores as numbers, 0 otherwise', () => {
    expect(parseScore('3.8')).toBe(3.8);
    expect(parseScore(' 4 ')).toBe(4);
    expect(parseScore('four')).toBe(0);
    expect(parseScore('')).toBe(0);
    expect(parseScore('0x10')).toBe(0);
  });
});
