/**
 * What a test-time run depends on beyond the adaptation settings the tta/ loop checks itself: the
 * resolved config (less `resume`) and the input files' sizes and modification times. Its digest is kept
 * beside the checkpoints, so that `--resume` after a change of config or models is refused instead of
 * continuing into a different result.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WemoeError } from '../errors.js';
import { withFsError } from '../io/fs-error.js';
import type { MergeConfig } from './resolved-config.js';

export const RUN_KEY_FILE = 'run-key.txt';

/** Where a test-time run on `output` keeps its checkpoints and loss log. */
export function checkpointDir(output: string): string {
  return `${output}.checkpoints`;
}

function fileStamps(path: string): string[] {
  if (!existsSync(path)) return [`${path}:missing`];
  const stat = statSync(path);
  if (!stat.isDirectory()) return [`${path}:${stat.size}:${stat.mtimeMs}:${stat.ino}`];
  return readdirSync(path)
    .sort()
    .map((f) => join(path, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => `${f}:${statSync(f).size}:${statSync(f).mtimeMs}:${statSync(f).ino}`);
}

/** The hex digest of the config (without `parameters.resume`) and the stamps of the model and head files. */
export function runKey(config: MergeConfig): string {
  const { resume: _resume, ...parameters } = config.parameters;
  const { source: _source, ...plain } = config;
  const inputs = [config.models.pretrained, ...Object.values(config.models.experts)];
  if (config.heads !== undefined) inputs.push(config.heads);
  return createHash('sha256')
    .update(JSON.stringify({ ...plain, parameters }))
    .update(inputs.flatMap(fileStamps).join('\n'))
    .digest('hex');
}

/** On resume, refuses checkpoints written under another key; then records `key` for later resumes. */
export function checkRunKey(dir: string, key: string, options: { readonly resume: boolean }): void {
  const file = join(dir, RUN_KEY_FILE);
  if (options.resume && existsSync(file) && readFileSync(file, 'utf8').trim() !== key) {
    throw new WemoeError(
      `${dir}: the checkpoints belong to a run with another config or other model files; remove them or run without --resume`,
    );
  }
  withFsError(file, 'write the run key', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${key}\n`);
  });
}
