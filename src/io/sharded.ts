/**
 * Sharded checkpoints, Hugging Face layout: model-0000k-of-0000N.safetensors plus
 * model.safetensors.index.json = {metadata: {total_size}, weight_map: {tensor: shard file}}.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { readJsonObject, writeJsonAtomic } from './json-file.js';
import { isPlainObject, quote } from './safetensors-header.js';
import { openSafetensors, type SafetensorsFile } from './safetensors-reader.js';
import { entryBytes, SafetensorsFileWriter } from './safetensors-writer.js';
import type { TensorEntry, TensorSink } from './tensor-sink.js';
import type { TensorInfo, TensorLocation, TensorSource } from './tensor-source.js';

export const INDEX_FILE = 'model.safetensors.index.json';
export const SINGLE_FILE = 'model.safetensors';
const SHARD_FILE = /^model-\d{5}-of-\d{5}\.safetensors$/;

export function shardFileName(k: number, n: number): string {
  return `model-${String(k).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
}

/** Opens every shard named by the index; the result reads like one file (names in shard, then data order). */
export function openShardedSafetensors(indexPath: string): TensorSource {
  const weightMap = readWeightMap(indexPath);
  const shards = new Map<string, SafetensorsFile>();
  try {
    for (const file of new Set(weightMap.values()))
      shards.set(file, openSafetensors(join(dirname(indexPath), file)));
    const owner = new Map<string, SafetensorsFile>();
    for (const shard of shards.values()) {
      for (const name of shard.names()) if (weightMap.has(name)) owner.set(name, shard);
    }
    for (const [name, file] of weightMap) {
      if (owner.get(name) !== shards.get(file)) {
        throw new WemoeError(
          `${indexPath}: weight_map puts tensor ${quote(name)} in ${file}, which has no such tensor`,
        );
      }
    }
    return new ShardedSource(indexPath, owner, [...shards.values()]);
  } catch (error) {
    for (const shard of shards.values()) shard.close();
    throw error;
  }
}

function readWeightMap(indexPath: string): Map<string, string> {
  const index = readJsonObject(indexPath);
  if (!isPlainObject(index.weight_map))
    throw new WemoeError(`${indexPath}: expected "weight_map": {tensor name: shard file}`);
  const map = new Map<string, string>();
  for (const [name, file] of Object.entries(index.weight_map)) {
    if (
      typeof file !== 'string' ||
      file !== basename(file) ||
      file === '..' ||
      file === '.' ||
      file.includes('\\')
    ) {
      throw new WemoeError(
        `${indexPath}: weight_map[${quote(name)}] must be a file name in the same folder, got ${quote(file)}`,
      );
    }
    map.set(name, file);
  }
  return map;
}

class ShardedSource implements TensorSource {
  readonly metadata: Readonly<Record<string, string>>;

  constructor(
    readonly path: string,
    private readonly owner: ReadonlyMap<string, SafetensorsFile>,
    private readonly shards: readonly SafetensorsFile[],
  ) {
    this.metadata = shards[0]?.metadata ?? {};
  }

  names(): string[] {
    return [...this.owner.keys()];
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  private shard(name: string): SafetensorsFile {
    const shard = this.owner.get(name);
    if (shard === undefined) throw new WemoeError(`${this.path}: no tensor named ${JSON.stringify(name)}`);
    return shard;
  }

  info(name: string): TensorInfo {
    return this.shard(name).info(name);
  }

  read(name: string): Tensor {
    return this.shard(name).read(name);
  }

  readF32(name: string): Float32Array {
    return this.shard(name).readF32(name);
  }

  locate(name: string): TensorLocation {
    return this.shard(name).locate(name);
  }

  close(): void {
    for (const shard of this.shards) shard.close();
  }
}

/** Greedy split in declared order: a shard takes tensors until the next would pass `maxShardBytes` (a bigger tensor gets its own). */
export function planShards(entries: readonly TensorEntry[], maxShardBytes: number): TensorEntry[][] {
  const shards: TensorEntry[][] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = entryBytes(e);
    if (shards.length === 0 || bytes + size > maxShardBytes) {
      shards.push([]);
      bytes = 0;
    }
    shards[shards.length - 1].push(e);
    bytes += size;
  }
  return shards;
}

export interface ShardedWriterOptions {
  /** Upper bound on a shard's tensor bytes (a single larger tensor gets a shard of its own). */
  readonly maxShardBytes: number;
  /** `__metadata__` of every shard (`format: pt` is added). */
  readonly metadata?: Record<string, string>;
}

/**
 * Writes `dir`/model-0000k-of-0000N.safetensors and the index. Shards fill in order as tensors arrive;
 * nothing is renamed into place until `finish()`, which commits the shards, then the index, then removes
 * shard files of an earlier save that this one does not use.
 */
export function createShardedWriter(
  dir: string,
  entries: readonly TensorEntry[],
  options: ShardedWriterOptions,
): TensorSink {
  if (!(options.maxShardBytes > 0))
    throw new WemoeError(`${dir}: maxShardBytes must be positive, got ${options.maxShardBytes}`);
  return new ShardedWriter(dir, planShards(entries, options.maxShardBytes), options.metadata ?? {});
}

class ShardedWriter implements TensorSink {
  private readonly files: string[];
  private readonly done: SafetensorsFileWriter[] = [];
  private current: SafetensorsFileWriter | undefined;
  private written = 0;

  constructor(
    private readonly dir: string,
    private readonly plan: readonly TensorEntry[][],
    private readonly metadata: Record<string, string>,
  ) {
    this.files = plan.map((_, k) => shardFileName(k + 1, plan.length));
  }

  write(name: string, tensor: Tensor): void {
    const k = this.done.length;
    if (k >= this.plan.length)
      throw new WemoeError(
        `${this.dir}: tensor ${JSON.stringify(name)}: not declared (all declared tensors are already written)`,
      );
    this.current ??= new SafetensorsFileWriter(join(this.dir, this.files[k]), this.plan[k], this.metadata);
    this.current.write(name, tensor);
    if (++this.written === this.plan[k].length) {
      this.current.complete();
      this.done.push(this.current);
      this.current = undefined;
      this.written = 0;
    }
  }

  finish(): void {
    if (this.done.length < this.plan.length) {
      const missing = this.plan[this.done.length][this.written].name;
      throw new WemoeError(
        `${this.dir}: finish before every tensor was written (next expected ${JSON.stringify(missing)})`,
      );
    }
    for (const shard of this.done) shard.commit();
    const weightMap: Record<string, string> = Object.create(null);
    let totalSize = 0;
    this.plan.forEach((entries, k) => {
      for (const e of entries) {
        weightMap[e.name] = this.files[k];
        totalSize += entryBytes(e);
      }
    });
    writeJsonAtomic(join(this.dir, INDEX_FILE), {
      metadata: { total_size: totalSize },
      weight_map: weightMap,
    });
    removeStaleFiles(this.dir, new Set([...this.files, INDEX_FILE]));
  }

  abort(): void {
    this.current?.abort();
    for (const shard of this.done) shard.abort();
  }
}

/** Removes model.safetensors, the index and model-*-of-*.safetensors files of an earlier save that `keep` lacks. */
export function removeStaleFiles(dir: string, keep: ReadonlySet<string>): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir)) {
    const ours = file === SINGLE_FILE || file === INDEX_FILE || SHARD_FILE.test(file);
    if (ours && !keep.has(file)) rmSync(join(dir, file), { force: true });
  }
}
