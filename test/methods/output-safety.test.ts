import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMergeConfig } from '../../src/config/merge-config.js';
import { openAtomicOutput } from '../../src/io/atomic-output.js';
import { writeConfig } from '../../src/io/checkpoint.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { checkpointDir, checkRunKey, runKey } from '../../src/methods/run-key.js';
import { runMerge } from '../../src/methods/run-merge.js';
import { float32 } from '../../src/tensor/tensor.js';
import { tempDir } from '../io/helpers.js';

const root = tempDir('output-safety');
const quiet = { progress: 'none' as const, log: () => {} };

function writeModel(name: string, w: number[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  saveSafetensors(join(dir, 'model.safetensors'), { w: float32([2], w) });
  writeConfig(dir, { model_type: 'clip_vision_model' });
  return dir;
}
const models = { pretrained: writeModel('pre', [1, 1]), experts: { a: writeModel('a', [3, 1]) } };

function config(output: string, extra: Record<string, unknown> = {}) {
  return parseMergeConfig({ method: 'task_arithmetic', models, output: join(root, output), ...extra });
}

describe('merge outputs are never lost', () => {
  it('output: . in a folder holding merge_config.yaml and the user’s files is refused, every file kept', async () => {
    const home = join(root, 'project');
    mkdirSync(home);
    const files = { 'merge_config.yaml': 'method: task_arithmetic\n', 'notes.md': 'mine', 'data.csv': '1,2' };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(home, f), text);
    await expect(runMerge(config('project'), quiet)).rejects.toThrow(
      `${home}: output folder exists and is not a wemoe merge output (no .wemoe-output file inside)`,
    );
    expect(readdirSync(home).sort()).toEqual(Object.keys(files).sort());
    for (const [f, text] of Object.entries(files)) expect(readFileSync(join(home, f), 'utf8')).toBe(text);
    expect(readdirSync(root).filter((f) => f.includes('project') && f !== 'project')).toEqual([]);
  });

  it('of two concurrent runs on one output, the second is refused with one line', async () => {
    const raced = join(root, 'raced');
    // The first run holds the output (as runMerge does from its start to its commit).
    const first = openAtomicOutput(raced);
    await expect(runMerge(config('raced'), quiet)).rejects.toThrow(
      `${raced}: in use by another wemoe run (process ${process.pid}, lock file ${raced}.lock); wait for it to finish, or remove the lock file if no such run exists`,
    );
    writeFileSync(join(first.staging, 'config.json'), '{}');
    first.commit();
    expect(existsSync(join(raced, 'config.json'))).toBe(true);
    expect(readdirSync(root).filter((f) => f.includes('raced'))).toEqual(['raced']);
    // Released: the next run goes through.
    await expect(runMerge(config('raced'), quiet)).resolves.toMatchObject({ dryRun: false });
  });

  it('--resume after a change of config or model files is refused; with the same inputs it goes on', () => {
    const dir = checkpointDir(join(root, 'resumed'));
    const base = config('resumed');
    checkRunKey(dir, runKey(base), { resume: false });
    expect(() => checkRunKey(dir, runKey(config('resumed', { seed: 5 })), { resume: true })).toThrow(
      `${dir}: the checkpoints belong to a run with another config or other model files; remove them or run without --resume`,
    );
    expect(() => checkRunKey(dir, runKey(base), { resume: true })).not.toThrow();
    // A changed model file is another input, even under the same config.
    saveSafetensors(join(models.experts.a, 'model.safetensors'), { w: float32([2], [3, 2]) });
    expect(() => checkRunKey(dir, runKey(base), { resume: true })).toThrow('other model files');
  });

  it('a model folder without config.json is refused; a bare .safetensors file is a weights-only merge', async () => {
    const bare = join(root, 'bare');
    mkdirSync(bare);
    saveSafetensors(join(bare, 'model.safetensors'), { w: float32([2], [5, 5]) });
    const refused = config('no-config', { models: { pretrained: bare, experts: models.experts } });
    await expect(runMerge(refused, quiet)).rejects.toThrow(
      `${bare}: model folder has no config.json; give a Hugging Face model folder, or the .safetensors file itself for a weights-only merge`,
    );
    const file = join(bare, 'model.safetensors');
    await runMerge(config('weights-only', { models: { pretrained: file, experts: models.experts } }), quiet);
    expect(existsSync(join(root, 'weights-only', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(root, 'weights-only', 'config.json'))).toBe(false);
  });

  it('an output that is an input, or holds one, is refused', async () => {
    const earlier = join(root, 'earlier');
    await runMerge(config('earlier'), quiet);
    // A previous output used as the pretrained model must not be replaced by the merge reading it.
    const reuse = config('earlier', { models: { pretrained: earlier, experts: models.experts } });
    await expect(runMerge(reuse, quiet)).rejects.toThrow(
      `${earlier}: output would replace the input ${earlier}; choose another output`,
    );
    await expect(runMerge(config('.', {}), quiet)).rejects.toThrow(
      `${root}: output would replace the input ${models.pretrained}; choose another output`,
    );
  });
});
