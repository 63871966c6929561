/**
 * Random edits of valid merge and eval configs (YAML syntax, anchors and aliases, tags, deep nesting,
 * prototype keys, wrong types) and random --set overrides: every input must end in a config or a
 * one-line WemoeError, and never touch Object.prototype. WEMOE_FUZZ_ITERATIONS=N runs longer.
 */
import { describe, expect, it } from 'vitest';
import { parseEvalConfig } from '../../src/config/eval-config.js';
import { parseMergeConfig } from '../../src/config/merge-config.js';
import { parseYamlText } from '../../src/config/yaml-file.js';
import { WemoeError } from '../../src/errors.js';
import { mutateText, pick, randomJson, randomString, rng } from '../io/fuzz-random.js';

const iterations = Number(process.env.WEMOE_FUZZ_ITERATIONS ?? 300) * 5;

const MERGE = `method: ties
parameters: {scaling_factor: 0.3, threshold: 20}
models:
  pretrained: pre
  experts: {mnist: a, svhn: b}
tasks:
  mnist: {data: suite:mnist, split: test}
unseen_tasks: []
heads: heads.safetensors
output: out
seed: 42
dtype: bf16
max_shard_size: 5GB
`;
const EVAL = `model: out
heads: heads.safetensors
tasks: {mnist: {data: suite:mnist}}
batch_size: 8
limit: 10
`;
const TOKENS = [
  ':',
  ' ',
  '-',
  '\n',
  '\n  ',
  '\t',
  '{',
  '}',
  '[',
  ']',
  ',',
  '"',
  "'",
  '#',
  '?',
  '|',
  '>',
  '~',
  '%YAML 1.1\n---\n',
  '&a ',
  '*a',
  '<<: *a\n',
  '&b [*a, *a, *a, *a]\n',
  '!!binary ',
  '!!str ',
  '!!map ',
  '!!set ',
  '!custom ',
  '__proto__: {polluted: 1}\n',
  'constructor: {prototype: {polluted: 1}}\n',
  'parameters:\n',
  'method: wemoe\n',
  'method: adamerging\n',
  'null',
  '.nan',
  '.inf',
  '-1',
  '1e999',
  '0x10',
  '2026-12-07',
  'yes',
  '"\\u0000"',
  '---\n',
  '...\n',
];
const KEYS = [
  'method',
  'parameters.scaling_factor',
  'parameters.k',
  'models.experts.x',
  'seed',
  'dtype',
  'max_shard_size',
  'tasks.mnist.data',
  'unseen_tasks',
  'limit',
  'batch_size',
  'output',
  '__proto__.x',
  'models.constructor.prototype.x',
  'a..b',
  '',
  'parameters',
];

function randomOverride(r: (n: number) => number): string {
  const value = r(2) ? JSON.stringify(randomJson(r, 2)) : randomString(r);
  return `${pick(r, KEYS)}=${value}`;
}

/** 'ok', or the message of a clean WemoeError; anything else throws with the input. */
function outcome(i: number, text: string, overrides: string[], parse: (raw: unknown) => unknown): string {
  try {
    parse(parseYamlText(text, 'fuzz.yaml'));
    return 'ok';
  } catch (error) {
    if (!(error instanceof WemoeError))
      throw new Error(`input ${i}: ${String(error)}\n${JSON.stringify({ text, overrides })}`);
    if (error.message.includes('\n'))
      throw new Error(`input ${i}: message of several lines: ${error.message}`);
    return error.message;
  }
}

describe('config fuzz', () => {
  it(`${iterations} edited merge and eval configs give configs or clean WemoeErrors`, () => {
    const r = rng(771);
    const counts = { ok: 0, error: 0 };
    for (let i = 0; i < iterations; i++) {
      const base = r(3) ? MERGE : EVAL;
      let text = base;
      for (let m = 1 + r(2); m > 0; m--) text = mutateText(text, r, TOKENS, 200);
      const overrides = Array.from({ length: r(3) === 0 ? 1 + r(2) : 0 }, () => randomOverride(r));
      const options = { source: 'fuzz.yaml', baseDir: '/base', overrides };
      const result = outcome(i, text, overrides, (raw) =>
        base === MERGE ? parseMergeConfig(raw, options) : parseEvalConfig(raw, options),
      );
      counts[result === 'ok' ? 'ok' : 'error']++;
    }
    console.log(`config fuzz: ${iterations} inputs, ${counts.ok} accepted, ${counts.error} refused`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    // Both ends are reached, or the test proves little.
    expect(counts.ok).toBeGreaterThan(iterations / 20);
    expect(counts.error).toBeGreaterThan(iterations / 4);
  });
});
