import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCheckpointWriter, openCheckpoint, readConfig, writeConfig } from '../../src/io/checkpoint.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tempDir } from './helpers.js';

const dir = tempDir('checkpoint');
const w: Tensor = { dtype: 'F32', shape: [4], data: Float32Array.from([1, 2, 3, 4]) };
const b: Tensor = { dtype: 'BF16', shape: [2], data: Uint16Array.from([0x3f80, 0x4000]) };
const entries = [
  { name: 'w', dtype: w.dtype, shape: w.shape },
  { name: 'b', dtype: b.dtype, shape: b.shape },
];

function save(out: string, maxShardBytes?: number): void {
  const sink = createCheckpointWriter(out, entries, { maxShardBytes });
  sink.write('w', w);
  sink.write('b', b);
  sink.finish();
}

describe('checkpoint folders', () => {
  it('writes one model.safetensors when it fits, shards otherwise, replacing the other layout', () => {
    const out = join(dir, 'model');
    save(out, 16);
    expect(readdirSync(out).sort()).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
    save(out);
    expect(readdirSync(out)).toEqual(['model.safetensors']);
    const source = openCheckpoint(out);
    expect([...source.readF32('w'), ...source.readF32('b')]).toEqual([1, 2, 3, 4, 1, 2]);
    source.close();
  });

  it('opens a file, an index file or a folder, and names what is missing', () => {
    const out = join(dir, 'forms');
    save(out, 16);
    const index = openCheckpoint(join(out, 'model.safetensors.index.json'));
    expect(index.names()).toEqual(['w', 'b']);
    index.close();
    const shard = openCheckpoint(join(out, 'model-00002-of-00002.safetensors'));
    expect(shard.names()).toEqual(['b']);
    shard.close();
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(() => openCheckpoint(empty)).toThrow(
      /empty: folder holds neither model.safetensors nor model.safetensors.index.json/,
    );
    expect(() => openCheckpoint(join(dir, 'nowhere'))).toThrow(/nowhere: no such file or folder/);
  });

  it('reads and writes config.json', () => {
    const out = join(dir, 'config');
    writeConfig(out, { model_type: 'clip_vision_model', hidden_size: 768, layer_norm_eps: 1e-5 });
    expect(readConfig(out)).toEqual({
      model_type: 'clip_vision_model',
      hidden_size: 768,
      layer_norm_eps: 1e-5,
    });
    expect(readConfig(join(out, 'config.json')).hidden_size).toBe(768);
    expect(readdirSync(out)).toEqual(['config.json']);
    expect(() => readConfig(join(dir, 'model'))).toThrow(/model\/config\.json: cannot read \(ENOENT\)/);
    writeFileSync(join(out, 'config.json'), '[1]');
    expect(() => readConfig(out)).toThrow(/config\.json: expected a JSON object/);
    writeFileSync(join(out, 'config.json'), '{"a": }');
    expect(() => readConfig(out)).toThrow(/config\.json: not valid JSON/);
  });
});
