/**
 * A T5 model as a Hugging Face folder (config.json + model.safetensors or shards, F32/F16/BF16): load
 * with every key and shape checked, save so that transformers' T5ForConditionalGeneration loads it.
 */
import { openCheckpoint, writeCheckpoint, writeConfig } from '../../io/checkpoint.js';
import type { TensorSource } from '../../io/tensor-source.js';
import { convertTensor } from '../../tensor/convert.js';
import { readT5Config, type T5Config, t5ConfigJson } from './config.js';
import { checkT5Shapes, LM_HEAD, SHARED, type T5Params, t5ParamShapes } from './params.js';

export interface T5Model {
  readonly config: T5Config;
  readonly params: T5Params;
}

/** Stored copies of the shared embedding (tied in Hugging Face's model); any one may carry it. */
const EMBEDDING_ALIASES = [SHARED, 'encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'];

/** Keys Hugging Face ignores on load: a stale cross-attention bias table of old checkpoints. */
const IGNORED = new Set(['decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight']);

/** Stored name of each expected parameter: the embedding from its first present alias. */
function storedNames(config: T5Config, source: TensorSource): Map<string, string> {
  const stored = new Map<string, string>();
  const embedding = EMBEDDING_ALIASES.find((name) => source.has(name)) ?? SHARED;
  for (const name of t5ParamShapes(config).keys()) stored.set(name, name === SHARED ? embedding : name);
  return stored;
}

/** Reads and checks the parameters of an opened checkpoint against `config` (as float32). */
export function t5ParamsFromSource(config: T5Config, source: TensorSource): T5Params {
  const stored = storedNames(config, source);
  const skip = new Set([...EMBEDDING_ALIASES, ...IGNORED]);
  // A tied model's lm_head is the embedding: Hugging Face ignores a stored copy.
  if (config.tieWordEmbeddings) skip.add(LM_HEAD);
  const found = new Map<string, readonly number[]>();
  for (const name of source.names()) if (!skip.has(name)) found.set(name, source.info(name).shape);
  for (const [name, at] of stored) if (source.has(at)) found.set(name, source.info(at).shape);
  const expected = t5ParamShapes(config);
  checkT5Shapes(expected, found, source.path);
  const params: T5Params = new Map();
  for (const [name, shape] of expected)
    params.set(name, { dtype: 'F32', shape, data: source.readF32(stored.get(name)!) });
  return params;
}

/** Loads `dir` (config.json + model.safetensors or shards). */
export function loadT5(dir: string): T5Model {
  const config = readT5Config(dir);
  const source = openCheckpoint(dir);
  try {
    return { config, params: t5ParamsFromSource(config, source) };
  } finally {
    source.close();
  }
}

export interface SaveT5Options {
  /** Shards above this many bytes. */
  readonly maxShardBytes?: number;
  /** Stored dtype (default F32; loading converts back to F32). */
  readonly dtype?: 'F32' | 'F16' | 'BF16';
}

/** Writes config.json and model.safetensors (`format: pt`), atomically. */
export function saveT5(dir: string, model: T5Model, options: SaveT5Options = {}): void {
  const dtype = options.dtype ?? 'F32';
  const shapes = t5ParamShapes(model.config);
  checkT5Shapes(shapes, new Map([...model.params].map(([n, t]) => [n, t.shape])), dir);
  writeConfig(dir, t5ConfigJson(model.config));
  const entries = [...shapes].map(([name, shape]) => ({ name, dtype, shape }));
  writeCheckpoint(dir, entries, (name) => convertTensor(model.params.get(name)!, dtype), {
    maxShardBytes: options.maxShardBytes,
  });
}
