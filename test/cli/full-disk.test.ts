/**
 * Merges onto a full, a read-only and an impossible destination: one line on stderr, exit 1, nothing
 * left behind. The small file systems are tmpfs mounts, which need root; without them the tests are
 * skipped with the reason printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../../src/io/checkpoint.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { float32 } from '../../src/tensor/tensor.js';
import { tempDir } from '../io/helpers.js';

const root = tempDir('full-disk');

/** Mounts a tmpfs of `size` at a new folder; returns it, or the reason it could not. */
function mountTmpfs(name: string, options: string): { dir?: string; reason?: string } {
  const dir = join(root, name);
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    return { reason: `cannot mount a tmpfs (${String((error as Error).message).split('\n')[0]})` };
  }
  afterAll(() => execFileSync('umount', [dir]));
  return { dir };
}

const small = mountTmpfs('small', 'size=64k');
// Three pages: the lock file, the model and config.json fit; merge_config.yaml does not.
const pages = mountTmpfs('pages', 'size=12k');
const readOnly = mountTmpfs('read-only', 'size=64k,ro');
if (small.reason) console.log(`skipping the full-disk tests: ${small.reason}`);

// 32,768 floats: a 128 KiB model, twice what the small file system holds.
function writeModel(name: string, value: number): string {
  const dir = join(root, name);
  mkdirSync(dir);
  saveSafetensors(join(dir, 'model.safetensors'), { w: float32([32_768], new Array(32_768).fill(value)) });
  writeConfig(dir, { model_type: 'clip_vision_model' });
  return dir;
}
const pretrained = writeModel('pre', 1);
const expert = writeModel('a', 2);
const tiny = (name: string) => {
  const dir = join(root, name);
  mkdirSync(dir);
  saveSafetensors(join(dir, 'model.safetensors'), { w: float32([2], [1, 2]) });
  writeConfig(dir, { model_type: 'clip_vision_model' });
  return dir;
};
const tinyPre = tiny('tiny-pre');
const tinyExpert = tiny('tiny-a');
const bigHeads = join(root, 'heads.safetensors');
writeFileSync(bigHeads, Buffer.alloc(200_000));

function merge(output: string, models: [string, string], heads?: string) {
  const config = join(root, `${Math.random().toString(36).slice(2)}.yaml`);
  const lines = [
    'method: task_arithmetic',
    `models: {pretrained: ${models[0]}, experts: {a: ${models[1]}}}`,
    `output: ${output}`,
    ...(heads ? [`heads: ${heads}`] : []),
  ];
  writeFileSync(config, `${lines.join('\n')}\n`);
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'merge', config, '--quiet'], {
    encoding: 'utf8',
  });
}

function expectOneLine(run: ReturnType<typeof merge>, pattern: RegExp): void {
  expect(run.status).toBe(1);
  expect(run.stderr.split('\n')).toHaveLength(2);
  expect(run.stderr).toMatch(pattern);
}

describe.skipIf(small.dir === undefined)('merging onto a full or read-only disk', () => {
  it('ENOSPC while writing the model: one line, no staging folder, no lock left', () => {
    const run = merge(join(small.dir!, 'out'), [pretrained, expert]);
    expectOneLine(run, /^wemoe: .*model\.safetensors.*: write failed \(ENOSPC\)\n$/);
    expect(readdirSync(small.dir!)).toEqual([]);
  });

  it('ENOSPC while copying the heads (after the model fits): one line naming the heads copy', () => {
    const run = merge(join(small.dir!, 'out'), [tinyPre, tinyExpert], bigHeads);
    expectOneLine(
      run,
      /^wemoe: .*heads\.safetensors: cannot copy to .*\/small\/\.out\.tmp-.*\/heads\.safetensors: no space left on the device \(ENOSPC\)\n$/,
    );
    expect(readdirSync(small.dir!)).toEqual([]);
  });

  it('ENOSPC while writing merge_config.yaml: one line naming it', () => {
    const run = merge(join(pages.dir!, 'out'), [tinyPre, tinyExpert]);
    expectOneLine(
      run,
      /^wemoe: .*\/pages\/\.out\.tmp-.*\/merge_config\.yaml: cannot write: no space left on the device \(ENOSPC\)\n$/,
    );
    expect(readdirSync(pages.dir!)).toEqual([]);
  });

  it('EROFS: refused before any work with one line', () => {
    const run = merge(join(readOnly.dir!, 'out'), [tinyPre, tinyExpert]);
    expectOneLine(
      run,
      /^wemoe: .*read-only.*: cannot create the lock file: the file system is read-only \(EROFS\)\n$/,
    );
  });

  it('an output under a file: one line', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const run = merge(join(file, 'out'), [tinyPre, tinyExpert]);
    expectOneLine(
      run,
      /^wemoe: .*a-file: cannot create the output’s parent folder: .*\((EEXIST|ENOTDIR)\)\n$/,
    );
  });
});
