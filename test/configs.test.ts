/** The shipped configs (configs/): every one validates, and they hold the demo's methods with its parameters. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadEvalConfig } from '../src/config/eval-config.js';
import { loadMergeConfig } from '../src/config/merge-config.js';
import { DEMO_ROWS, type MethodRow } from '../src/demo/rows.js';

const CONFIGS = resolve('configs');
const HF = resolve('hf');
const MODELS = ['clip-vit-base-patch32', 'clip-vit-large-patch14'];
const TA8 = ['sun397', 'stanford-cars', 'resisc45', 'eurosat', 'svhn', 'gtsrb', 'mnist', 'dtd'];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

const files = yamlFiles(CONFIGS);
const mergeFiles = files.filter((f) => !f.endsWith('heads.yaml'));
const demoMethods = DEMO_ROWS.filter((r): r is MethodRow => 'method' in r && !r.onRequest);

describe('configs/', () => {
  it('holds TA8, generalization and robustness runs for ViT-B/32 and ViT-L/14', () => {
    expect(mergeFiles.length).toBe(2 * (demoMethods.length + 4 + 4));
  });

  it.each(mergeFiles.map((f) => [relative(CONFIGS, f)]))(
    '%s validates as a merge and an eval config',
    (name) => {
      const file = join(CONFIGS, name);
      const config = loadMergeConfig(file);
      const [model, kind] = name.split('/');
      expect(config.models.pretrained).toBe(join(HF, 'openai', model));
      for (const [task, dir] of Object.entries(config.models.experts)) {
        expect(dir).toBe(join(HF, 'tanganke', `${model}_${task}`));
        expect(config.tasks?.[task]?.data.startsWith(HF)).toBe(true);
      }
      expect(config.heads).toBe(join(HF, 'heads', `${model}_ta8.safetensors`));
      expect(config.output).toBe(join(HF, 'outputs', name.replace(/\.yaml$/, '')));
      const experts = Object.keys(config.models.experts);
      if (kind === 'ta8') expect(experts).toEqual(TA8);
      if (kind === 'generalization') {
        expect(config.unseen_tasks).toEqual(['mnist', 'eurosat']);
        expect(experts.length).toBe(6);
      }
      if (kind === 'robustness')
        expect(Object.values(config.tasks!).every((t) => t.split !== 'test')).toBe(true);
      const evaluated = loadEvalConfig(file, ['root=/srv/hf']);
      expect(evaluated.model).toBe(join('/srv/hf/outputs', name.replace(/\.yaml$/, '')));
      expect(Object.keys(evaluated.tasks).sort()).toEqual(Object.keys(config.tasks!).sort());
    },
  );

  it.each(MODELS)(
    '%s: TA8 has every method of the demo with its parameters and the paper’s adaptation',
    (model) => {
      for (const row of demoMethods) {
        const config = loadMergeConfig(join(CONFIGS, model, 'ta8', `${row.id}.yaml`));
        expect(config.method).toBe(row.method);
        expect(config.parameters).toMatchObject(row.params);
        if (row.method === 'wemoe' || row.method === 'adamerging') {
          expect(config.parameters).toMatchObject({
            steps: 1000,
            batch_size: 16,
            lr: row.method === 'wemoe' ? 1e-4 : 1e-3,
          });
        }
      }
    },
  );

  it.each(MODELS)('%s: heads.yaml names the model, the eight tasks and an output', (model) => {
    const heads = parseYaml(readFileSync(join(CONFIGS, model, 'heads.yaml'), 'utf8'));
    expect(resolve(CONFIGS, model, heads.model)).toBe(join(HF, 'openai', model));
    expect(Object.keys(heads.tasks)).toEqual(TA8);
    for (const task of TA8) expect(heads.tasks[task]).toEqual({ classes: 'builtin', templates: 'builtin' });
    expect(resolve(CONFIGS, model, heads.output)).toBe(join(HF, 'heads', `${model}_ta8.safetensors`));
  });
});
