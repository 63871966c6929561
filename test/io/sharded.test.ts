import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import {
  createShardedWriter,
  openShardedSafetensors,
  planShards,
  shardFileName,
} from '../../src/io/sharded.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tempDir } from './helpers.js';

const dir = tempDir('sharded');

/** Five tensors of 40, 40, 100, 8 and 0 bytes with recognisable values. */
const tensors: Record<string, Tensor> = {
  'vision_model.a': { dtype: 'F32', shape: [10], data: Float32Array.from({ length: 10 }, (_, i) => i) },
  'vision_model.b': { dtype: 'F32', shape: [2, 5], data: Float32Array.from({ length: 10 }, (_, i) => -i) },
  'vision_model.big': { dtype: 'F16', shape: [50], data: new Uint16Array(50).fill(0x3c00) },
  'vision_model.c': { dtype: 'I64', shape: [1], data: BigInt64Array.from([42n]) },
  'vision_model.empty': { dtype: 'F32', shape: [0], data: new Float32Array(0) },
};
const entries = Object.entries(tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));

function writeSharded(out: string, maxShardBytes: number): void {
  const sink = createShardedWriter(out, entries, { maxShardBytes, metadata: { kind: 'test' } });
  for (const [name, t] of Object.entries(tensors)) sink.write(name, t);
  sink.finish();
}

describe('sharded checkpoints', () => {
  it('plans shards greedily, giving an oversized tensor a shard of its own', () => {
    expect(planShards(entries, 80).map((s) => s.map((e) => e.name.slice(13)))).toEqual([
      ['a', 'b'],
      ['big'],
      ['c', 'empty'],
    ]);
    expect(planShards(entries, 1000)).toHaveLength(1);
    expect(shardFileName(2, 13)).toBe('model-00002-of-00013.safetensors');
  });

  it('writes shards and an index with total_size and weight_map, and reads them back as one source', () => {
    const out = join(dir, 'three');
    writeSharded(out, 80);
    expect(readdirSync(out).sort()).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(readFileSync(join(out, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata).toEqual({ total_size: 188 });
    expect(index.weight_map['vision_model.big']).toBe('model-00002-of-00003.safetensors');
    expect(index.weight_map['vision_model.empty']).toBe('model-00003-of-00003.safetensors');

    const source = openCheckpoint(out);
    expect(source.names()).toEqual(Object.keys(tensors));
    expect(source.metadata).toEqual({ format: 'pt', kind: 'test' });
    expect([...source.readF32('vision_model.b')]).toEqual([...tensors['vision_model.b'].data]);
    expect([...source.readF32('vision_model.big')]).toEqual(new Array(50).fill(1));
    expect(source.read('vision_model.c').data).toEqual(BigInt64Array.from([42n]));
    expect(source.info('vision_model.empty')).toEqual({
      name: 'vision_model.empty',
      dtype: 'F32',
      shape: [0],
    });
    expect(() => source.read('x')).toThrow(/model\.safetensors\.index\.json: no tensor named "x"/);
    source.close();
  });

  it('a second save with fewer shards removes the stale shard files', () => {
    const out = join(dir, 'resave');
    writeSharded(out, 80);
    writeSharded(out, 150);
    expect(readdirSync(out).sort()).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
    const source = openShardedSafetensors(join(out, 'model.safetensors.index.json'));
    expect(source.names()).toHaveLength(5);
    source.close();
  });

  it('abort removes every shard written so far and finish refuses a partial model', () => {
    const out = join(dir, 'aborted');
    const sink = createShardedWriter(out, entries, { maxShardBytes: 80 });
    sink.write('vision_model.a', tensors['vision_model.a']);
    sink.write('vision_model.b', tensors['vision_model.b']);
    sink.write('vision_model.big', tensors['vision_model.big']);
    expect(() => sink.finish()).toThrow(
      /finish before every tensor was written \(next expected "vision_model.c"\)/,
    );
    sink.abort();
    expect(readdirSync(out)).toEqual([]);
  });

  it('rejects an index that names a missing tensor, a missing shard or a path outside the folder', () => {
    const out = join(dir, 'bad-index');
    writeSharded(out, 80);
    const indexPath = join(out, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    const write = (weightMap: unknown) =>
      writeFileSync(indexPath, JSON.stringify({ ...index, weight_map: weightMap }));

    write({ ...index.weight_map, 'vision_model.a': 'model-00002-of-00003.safetensors' });
    expect(() => openCheckpoint(out)).toThrow(
      /weight_map puts tensor "vision_model.a" in model-00002-of-00003.safetensors, which has no such tensor/,
    );
    write({ x: 'model-00009-of-00009.safetensors' });
    expect(() => openCheckpoint(out)).toThrow(/model-00009-of-00009.safetensors: cannot open \(ENOENT\)/);
    write({ x: '../elsewhere.safetensors' });
    expect(() => openCheckpoint(out)).toThrow(/weight_map\["x"\] must be a file name in the same folder/);
    write([]);
    expect(() => openCheckpoint(out)).toThrow(/expected "weight_map": \{tensor name: shard file\}/);
    writeFileSync(indexPath, '{"weight_map": {}, "weight_map": {}}');
    expect(() => openCheckpoint(out)).toThrow(/duplicate key "weight_map"/);
    writeFileSync(indexPath, '{');
    expect(() => openCheckpoint(out)).toThrow(/index\.json: not valid JSON/);
  });

  it('a folder with model.safetensors is read directly', () => {
    const out = join(dir, 'single');
    saveSafetensors(join(out, 'model.safetensors'), tensors);
    const source = openCheckpoint(out);
    expect(source.names()).toEqual(Object.keys(tensors));
    source.close();
    expect(existsSync(join(out, 'model.safetensors.index.json'))).toBe(false);
  });
});
