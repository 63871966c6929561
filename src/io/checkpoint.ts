/** Hugging Face style model folders: config.json plus model.safetensors or shards with an index. */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { readJsonObject, writeJsonAtomic } from './json-file.js';
import { checkRegularFile } from './regular-file.js';
import { openSafetensors } from './safetensors-reader.js';
import { SafetensorsFileWriter } from './safetensors-writer.js';
import {
  createShardedWriter,
  INDEX_FILE,
  openShardedSafetensors,
  planShards,
  removeStaleFiles,
  SINGLE_FILE,
} from './sharded.js';
import type { TensorEntry, TensorSink } from './tensor-sink.js';
import type { TensorSource } from './tensor-source.js';

export const CONFIG_FILE = 'config.json';

function kindOf(path: string): 'file' | 'dir' | 'other' | undefined {
  try {
    const stat = statSync(path);
    return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
}

/**
 * Opens a checkpoint: a folder (model.safetensors, else model.safetensors.index.json), a .safetensors
 * file, or an index .json file.
 */
export function openCheckpoint(path: string): TensorSource {
  const kind = kindOf(path);
  if (kind === undefined) throw new WemoeError(`${path}: no such file or folder`);
  if (kind === 'other') checkRegularFile(path, 'checkpoint');
  if (kind === 'file') return path.endsWith('.json') ? openShardedSafetensors(path) : openSafetensors(path);
  if (kindOf(join(path, SINGLE_FILE)) === 'file') return openSafetensors(join(path, SINGLE_FILE));
  if (kindOf(join(path, INDEX_FILE)) === 'file') return openShardedSafetensors(join(path, INDEX_FILE));
  throw new WemoeError(`${path}: folder holds neither ${SINGLE_FILE} nor ${INDEX_FILE}`);
}

/**
 * A model given as a folder must be a whole Hugging Face folder: without config.json a merge would
 * write an output no model command can load. (A bare .safetensors file stays allowed for weights-only merges.)
 */
export function checkModelFolder(path: string): void {
  if (kindOf(path) === 'dir' && kindOf(join(path, CONFIG_FILE)) !== 'file') {
    throw new WemoeError(
      `${path}: model folder has no ${CONFIG_FILE}; give a Hugging Face model folder, or the .safetensors file itself for a weights-only merge`,
    );
  }
}

/** The parsed config.json of a model folder (or the given .json file). */
export function readConfig(path: string): Record<string, unknown> {
  return readJsonObject(kindOf(path) === 'dir' ? join(path, CONFIG_FILE) : path);
}

/** Writes `dir`/config.json atomically (the folder is created if needed). */
export function writeConfig(dir: string, config: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, CONFIG_FILE), config);
}

export interface CheckpointWriterOptions {
  /** Shard when the tensors exceed this many bytes (default: one file, whatever the size). */
  readonly maxShardBytes?: number;
  /** `__metadata__` of the file(s); `format: pt` is added. */
  readonly metadata?: Record<string, string>;
}

/** Writes the model weights of folder `dir` the way transformers' save_pretrained does: one file when it fits in one shard, else shards + index. */
export function createCheckpointWriter(
  dir: string,
  entries: readonly TensorEntry[],
  options: CheckpointWriterOptions = {},
): TensorSink {
  const max = options.maxShardBytes ?? Number.POSITIVE_INFINITY;
  if (planShards(entries, max).length > 1)
    return createShardedWriter(dir, entries, { maxShardBytes: max, metadata: options.metadata });
  const file = new SafetensorsFileWriter(join(dir, SINGLE_FILE), entries, options.metadata);
  return {
    write: (name, tensor) => file.write(name, tensor),
    finish: () => {
      file.finish();
      removeStaleFiles(dir, new Set([SINGLE_FILE]));
    },
    abort: () => file.abort(),
  };
}

/**
 * Writes a model's weights in `entries` order, each tensor asked of `tensorOf` when its turn comes (so a
 * dtype conversion holds one tensor at a time); on failure the partial files are removed.
 */
export function writeCheckpoint(
  dir: string,
  entries: readonly TensorEntry[],
  tensorOf: (name: string) => Tensor,
  options: CheckpointWriterOptions = {},
): void {
  const sink = createCheckpointWriter(dir, entries, options);
  try {
    for (const { name } of entries) sink.write(name, tensorOf(name));
    sink.finish();
  } catch (error) {
    sink.abort();
    throw error;
  }
}
