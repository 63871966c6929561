/** The committed text suite models (assets/text-suite/models): layout, tokenizer, size, the build's measured gaps. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEXT_SUITE_T5_CONFIG } from '../../../scripts/text-suite-models/settings.js';
import { TEXT_TASKS } from '../../../scripts/text-suite-models/tasks.js';
import { loadT5 } from '../../../src/models/t5/checkpoint.js';
import { GLUE_TASKS } from '../../../src/models/t5/glue.js';
import { t5ParamCount } from '../../../src/models/t5/params.js';
import { T5Tokenizer } from '../../../src/models/tokenizers/t5.js';

const SUITE = join('assets', 'text-suite');
const MODELS = join(SUITE, 'models');
const FOLDERS = ['pretrained', ...TEXT_TASKS];

function bytesUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, entry) =>
      sum + (entry.isDirectory() ? bytesUnder(join(dir, entry.name)) : statSync(join(dir, entry.name)).size),
    0,
  );
}

describe('the text suite models', () => {
  it('are nine T5 folders of the recipe config with one tokenizer, the whole suite within 40 MB', () => {
    const tokenizers = new Set<string>();
    for (const folder of FOLDERS) {
      const model = loadT5(join(MODELS, folder));
      expect(model.config, folder).toEqual(TEXT_SUITE_T5_CONFIG);
      tokenizers.add(readFileSync(join(MODELS, folder, 'tokenizer.json'), 'utf8'));
    }
    expect(tokenizers.size).toBe(1);
    expect(t5ParamCount(TEXT_SUITE_T5_CONFIG)).toBeLessThan(2e6);
    expect(bytesUnder(SUITE)).toBeLessThan(40e6);
  });

  it("tokenizes as T5's: </s> 1 appended, pad 0, every label word one token", async () => {
    const json = readFileSync(join(MODELS, 'pretrained', 'tokenizer.json'), 'utf8');
    const vocab = (JSON.parse(json) as { model: { vocab: [string, number][] } }).model.vocab;
    expect(vocab.slice(0, 3).map(([p]) => p)).toEqual(['<pad>', '</s>', '<unk>']);
    expect(vocab.at(-1)?.[0]).toBe('<extra_id_0>');
    const tokenizer = T5Tokenizer.fromJson(json, 'tokenizer.json');
    const words = [...new Set(TEXT_TASKS.flatMap((t) => GLUE_TASKS[t].labels ?? []))];
    const ids = await tokenizer.encode(words);
    for (const [i, word] of words.entries())
      expect(ids[i], word).toEqual([vocab.findIndex(([p]) => p === `▁${word}`), 1]);
  });

  it("every expert differs from the pre-trained model; the README's table is the build's results", () => {
    const name = 'encoder.block.0.layer.1.DenseReluDense.wo.weight';
    const base = loadT5(join(MODELS, 'pretrained')).params.get(name)!.data as Float32Array;
    for (const task of TEXT_TASKS) {
      const tuned = loadT5(join(MODELS, task)).params.get(name)!.data as Float32Array;
      expect(
        tuned.some((v, i) => v !== base[i]),
        task,
      ).toBe(true);
    }
    const results = JSON.parse(readFileSync(join(MODELS, 'build-results.json'), 'utf8')) as {
      pretrained: Record<string, number>;
      experts: Record<string, number>;
    };
    const readme = readFileSync(join(MODELS, 'README.md'), 'utf8');
    for (const task of TEXT_TASKS) {
      const [p, e] = [results.pretrained[task], results.experts[task]].map((v) => (100 * v).toFixed(1));
      expect(readme, task).toMatch(new RegExp(`\\| ${task} \\|[^\\n]*\\| ${p} \\| ${e} \\|`));
    }
  });
});
