import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEvalConfig, parseEvalConfig } from '../../src/config/eval-config.js';
import { evaluateModel } from '../../src/eval/evaluate.js';
import { runEval } from '../../src/eval/run-eval.js';
import { writeConfig } from '../../src/io/checkpoint.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { float32 } from '../../src/tensor/tensor.js';
import { REDUCED_TASKS, writeReducedSuiteFiles } from '../demo/reduced-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-cli-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const suite = writeReducedSuiteFiles(dir);

const tasksYaml = ['tasks:', ...REDUCED_TASKS.map((t) => `  ${t}: {data: ${t}.safetensors, split: test}`)];
const evalConfig = join(dir, 'eval.yaml');
writeFileSync(
  evalConfig,
  ['model: pretrained', 'heads: heads.safetensors', ...tasksYaml, 'batch_size: 7', ''].join('\n'),
);
const mergeConfig = join(dir, 'merge.yaml');
writeFileSync(
  mergeConfig,
  [
    'method: task_arithmetic',
    'models:',
    '  pretrained: pretrained',
    `  experts: {${REDUCED_TASKS.map((t) => `${t}: expert-${t}`).join(', ')}}`,
    'heads: heads.safetensors',
    ...tasksYaml,
    'output: merged',
    '',
  ].join('\n'),
);

function wemoe(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

describe('wemoe eval', () => {
  it('prints the table and writes report.json with the scores evaluateModel gives', async () => {
    const out = join(dir, 'reports');
    const run = wemoe('eval', evalConfig, '--out', out, '--quiet');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('| pretrained');
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const expected = await evaluateModel(
      { kind: 'clip', config: suite.config, params: suite.pretrained },
      suite.heads,
      suite.tasks,
      { progress: 'none' },
    );
    const method = json.methods.model;
    for (const task of REDUCED_TASKS) {
      expect(method[task].accuracy).toBe(expected.perTask[task].accuracy);
      expect(method[task].loss).toBeCloseTo(expected.perTask[task].loss, 5);
    }
    expect(method.average.accuracy).toBeCloseTo(expected.average.accuracy, 12);
    expect(method.model_info.trainable_params).toBe(0);
    expect(Object.keys(method.timing)).toContain('eval_s');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
  }, 30_000);

  it('evaluates the output folder of a merge config (after wemoe merge), with --set', () => {
    expect(wemoe('merge', mergeConfig, '--quiet').status).toBe(0);
    const run = wemoe('eval', mergeConfig, '--set', 'limit=12', '--quiet');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\| merged\s+\|/);
  }, 30_000);

  it('names the key of a bad config in one line', () => {
    const run = wemoe('eval', evalConfig, '--set', 'batch_size=0');
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/eval\.yaml: batch_size: /);
    expect(() => parseEvalConfig({ model: 'm', tasks: { a: { data: 'x' } } }, { source: 'e.yaml' })).toThrow(
      /^e\.yaml: heads: /,
    );
    expect(() => parseEvalConfig({ model: 'm', heads: 'h', tasks: {} }, { source: 'e.yaml' })).toThrow(
      /e\.yaml: tasks: expected at least one task/,
    );
  });

  it('resolves paths against the config folder and keeps suite: data as it is', () => {
    const config = loadEvalConfig(evalConfig, ['tasks.extra.data=suite:mnist']);
    expect(config.model).toBe(join(dir, 'pretrained'));
    expect(config.tasks.dark.data).toBe(join(dir, 'dark.safetensors'));
    expect(config.tasks.extra).toEqual({ data: 'suite:mnist', split: 'test' });
    expect(config.batch_size).toBe(7);
    const merge = loadEvalConfig(mergeConfig);
    expect(merge.model).toBe(join(dir, 'merged'));
    expect(merge.method).toBe('task_arithmetic');
  });

  it('checks the report folder before evaluating, and says when the model is not CLIP vision', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    // The heads are missing too, but the report folder is checked first: nothing is loaded or evaluated.
    const config = parseEvalConfig(
      { model: 'pretrained', heads: 'missing-heads.safetensors', tasks: { a: { data: 'a' } } },
      { baseDir: dir },
    );
    await expect(runEval(config, { out: join(file, 'reports'), progress: 'none' })).rejects.toThrow(
      new RegExp(`^${file}/reports: cannot create the output folder: .*\\((EEXIST|ENOTDIR)\\)$`),
    );
    const other = join(dir, 'not-clip');
    mkdirSync(other);
    saveSafetensors(join(other, 'model.safetensors'), { 'encoder.weight': float32([2], [1, 2]) });
    writeConfig(other, { model_type: 'clip_vision_model', hidden_size: 8, num_attention_heads: 2 });
    const run = wemoe('eval', evalConfig, '--set', `model=${other}`, '--quiet');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `wemoe: ${join(other, 'model.safetensors')}: not a CLIP vision checkpoint: has neither vision_model.embeddings.patch_embedding.weight and embeddings.patch_embedding.weight\n`,
    );
  });
});
