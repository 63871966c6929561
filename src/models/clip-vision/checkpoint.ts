/**
 * A CLIP vision model as a Hugging Face folder (config.json + model.safetensors): load with every key
 * and shape checked, save so that transformers' CLIPVisionModel loads it.
 */
import { WemoeError } from '../../errors.js';
import { createCheckpointWriter, openCheckpoint, writeConfig } from '../../io/checkpoint.js';
import type { TensorSource } from '../../io/tensor-source.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type ClipVisionConfig, clipVisionConfigJson, readClipVisionConfig } from './config.js';
import { type ClipParams, checkParamShapes, clipParamShapes, VISION_PREFIX } from './params.js';

/** The encoder plus the projection parts a full CLIPModel checkpoint carries. */
export interface ClipVisionModel {
  readonly config: ClipVisionConfig;
  /** Canonical `vision_model.*` names → float32 tensors. */
  readonly params: ClipParams;
  /** [E, D] `visual_projection.weight`, when the checkpoint is a full CLIPModel. */
  readonly visualProjection?: Tensor;
  /** [] `logit_scale`, when the checkpoint is a full CLIPModel. */
  readonly logitScale?: Tensor;
}

const UNPREFIXED = /^(embeddings|encoder|pre_layrnorm|post_layernorm)\./;
const EXTRAS = new Set(['visual_projection.weight', 'logit_scale']);

/**
 * The canonical name of a stored key: itself when `vision_model.`-prefixed, prefixed when it is an
 * unprefixed encoder key; undefined for the parts of a full CLIPModel that are not the encoder.
 */
export function canonicalVisionName(key: string): string | undefined {
  if (key.startsWith(VISION_PREFIX)) return key;
  if (UNPREFIXED.test(key)) return VISION_PREFIX + key;
  return undefined;
}

/** Keys a checkpoint may hold beyond the encoder: the text tower, buffers, projections. */
function ignorable(key: string): boolean {
  return key.startsWith('text_model.') || key.endsWith('position_ids') || key === 'text_projection.weight';
}

/** Reads and checks the encoder parameters of an opened checkpoint against `config`. */
export function clipParamsFromSource(config: ClipVisionConfig, source: TensorSource): ClipParams {
  const canonicalToKey = new Map<string, string>();
  const found = new Map<string, readonly number[]>();
  for (const key of source.names()) {
    if (EXTRAS.has(key) || ignorable(key)) continue;
    const name = canonicalVisionName(key) ?? key;
    if (canonicalToKey.has(name)) {
      throw new WemoeError(
        `${source.path}: tensor ${name} is stored twice (as ${canonicalToKey.get(name)} and ${key})`,
      );
    }
    canonicalToKey.set(name, key);
    found.set(name, source.info(key).shape);
  }
  const expected = clipParamShapes(config);
  checkParamShapes(expected, found, source.path, ignorable);
  const params: ClipParams = new Map();
  for (const [name, shape] of expected) {
    params.set(name, { dtype: 'F32', shape, data: source.readF32(canonicalToKey.get(name)!) });
  }
  return params;
}

function readExtra(source: TensorSource, key: string): Tensor | undefined {
  if (!source.has(key)) return undefined;
  return { dtype: 'F32', shape: source.info(key).shape, data: source.readF32(key) };
}

/** Loads `dir` (config.json + model.safetensors or shards); a full CLIPModel folder gives its vision part. */
export function loadClipVision(dir: string): ClipVisionModel {
  const config = readClipVisionConfig(dir);
  const source = openCheckpoint(dir);
  try {
    const params = clipParamsFromSource(config, source);
    return {
      config,
      params,
      visualProjection: readExtra(source, 'visual_projection.weight'),
      logitScale: readExtra(source, 'logit_scale'),
    };
  } finally {
    source.close();
  }
}

/** Writes model.safetensors (F32, `format: pt`; shards above `maxShardBytes`) and config.json, atomically. */
export function saveClipVision(
  dir: string,
  config: ClipVisionConfig,
  params: ClipParams,
  maxShardBytes?: number,
): void {
  const shapes = clipParamShapes(config);
  checkParamShapes(shapes, new Map([...params].map(([n, t]) => [n, t.shape])), dir);
  writeConfig(dir, clipVisionConfigJson(config));
  const entries = [...shapes].map(([name, shape]) => ({ name, dtype: 'F32' as const, shape }));
  const sink = createCheckpointWriter(dir, entries, { maxShardBytes });
  try {
    for (const { name } of entries) sink.write(name, params.get(name)!);
    sink.finish();
  } catch (error) {
    sink.abort();
    throw error;
  }
}
