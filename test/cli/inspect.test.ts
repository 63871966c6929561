import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/commands/inspect.js';
import { createCheckpointWriter } from '../../src/io/checkpoint.js';
import { inspectCheckpoint } from '../../src/io/inspect.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-inspect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tensors: Record<string, Tensor> = {
  'vision_model.embeddings.class_embedding': { dtype: 'F32', shape: [4], data: new Float32Array(4) },
  'vision_model.encoder.layers.0.mlp.fc1.weight': { dtype: 'F16', shape: [3, 4], data: new Uint16Array(12) },
  logit_scale: { dtype: 'F32', shape: [], data: new Float32Array(1) },
};
const model = join(dir, 'model');
const sink = createCheckpointWriter(
  model,
  Object.entries(tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })),
  { maxShardBytes: 20, metadata: { kind: 'demo' } },
);
for (const [name, t] of Object.entries(tensors)) sink.write(name, t);
sink.finish();

function wemoe(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

describe('wemoe inspect', () => {
  it('summarises a sharded folder: tensors, metadata and 17 parameters', () => {
    const summary = inspectCheckpoint(model);
    expect(summary.parameters).toBe(4 + 12 + 1);
    expect(summary.metadata).toEqual({ format: 'pt', kind: 'demo' });
    expect(formatSummary(summary)).toBe(
      [
        'name                                          dtype  shape',
        'vision_model.embeddings.class_embedding       F32    [4]',
        'vision_model.encoder.layers.0.mlp.fc1.weight  F16    [3, 4]',
        'logit_scale                                   F32    []',
        '',
        'metadata:',
        '  format: pt',
        '  kind: demo',
        '',
        '3 tensors, 17 parameters',
        '',
      ].join('\n'),
    );
  });

  it('--json prints exactly {tensors, metadata, parameters}', () => {
    const run = wemoe('inspect', join(model, 'model-00003-of-00003.safetensors'), '--json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      tensors: [{ name: 'logit_scale', dtype: 'F32', shape: [] }],
      metadata: { format: 'pt', kind: 'demo' },
      parameters: 1,
    });
  });

  it('bad input exits non-zero with one line naming the file', () => {
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0x7b]));
    const run = wemoe('inspect', bad);
    expect(run.status).not.toBe(0);
    expect(run.stderr.startsWith(`wemoe: ${bad}: header is not valid JSON (`)).toBe(true);
    expect(run.stderr.split('\n')).toEqual([expect.any(String), '']); // one line
    expect(run.stdout).toBe('');
  });

  it('escapes control characters in names and metadata: no fake rows, no terminal codes', () => {
    const hostile = join(dir, 'hostile.safetensors');
    const name = 'w\nlogit_scale  F32  [999]\u001b[2J\u009b31m\u202e';
    saveSafetensors(
      hostile,
      { [name]: { dtype: 'F32', shape: [1], data: new Float32Array(1) } },
      {
        'note\r': 'fine\u001b]0;pwned\u0007',
      },
    );
    const text = wemoe('inspect', hostile);
    expect(text.status).toBe(0);
    expect(text.stdout).toBe(
      [
        `${'name'.padEnd(50)}  dtype  shape`,
        'w\\nlogit_scale  F32  [999]\\u001b[2J\\u009b31m\\u202e  F32    [1]',
        '',
        'metadata:',
        '  format: pt',
        '  note\\r: fine\\u001b]0;pwned\\u0007',
        '',
        '1 tensors, 1 parameters',
        '',
      ].join('\n'),
    );
    const json = wemoe('inspect', hostile, '--json');
    // Only the final newline is raw; JSON escapes C0 itself, and C1 and U+202E are escaped on top.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
    expect(json.stdout.trimEnd()).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(JSON.parse(json.stdout).tensors[0].name).toBe(name);
  });
});
