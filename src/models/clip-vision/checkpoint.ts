/**
 * A CLIP vision model as a Hugging Face folder (config.json + model.safetensors): load with every key
 * and shape checked, save so that transformers' CLIPVisionModel loads it.
 */
import { openCheckpoint, writeCheckpoint, writeConfig } from '../../io/checkpoint.js';
import { clipVisionView } from '../../io/clip-keys.js';
import type { TensorSource } from '../../io/tensor-source.js';
import { convertTensor } from '../../tensor/convert.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type ClipVisionConfig, clipVisionConfigJson, readClipVisionConfig } from './config.js';
import { type ClipParams, checkParamShapes, clipParamShapes } from './params.js';

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

const EXTRAS = new Set(['visual_projection.weight', 'logit_scale']);

/**
 * Reads and checks the encoder parameters of an opened checkpoint against `config`; any key layout
 * (prefixed, unprefixed, full CLIPModel) is read under the canonical `vision_model.*` names.
 */
export function clipParamsFromSource(config: ClipVisionConfig, source: TensorSource): ClipParams {
  const view = clipVisionView(source);
  const found = new Map<string, readonly number[]>();
  for (const name of view.names()) if (!EXTRAS.has(name)) found.set(name, view.info(name).shape);
  const expected = clipParamShapes(config);
  checkParamShapes(expected, found, source.path);
  const params: ClipParams = new Map();
  for (const [name, shape] of expected) params.set(name, { dtype: 'F32', shape, data: view.readF32(name) });
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
    return {
      config,
      params: clipParamsFromSource(config, source),
      visualProjection: readExtra(source, 'visual_projection.weight'),
      logitScale: readExtra(source, 'logit_scale'),
    };
  } finally {
    source.close();
  }
}

export interface SaveClipVisionOptions {
  /** Shards above this many bytes. */
  readonly maxShardBytes?: number;
  /** Stored dtype (default F32; F16/BF16 round to nearest even; loading converts back to F32). */
  readonly dtype?: 'F32' | 'F16' | 'BF16';
}

/** Writes model.safetensors (`format: pt`) and config.json, atomically. */
export function saveClipVision(
  dir: string,
  config: ClipVisionConfig,
  params: ClipParams,
  options: SaveClipVisionOptions = {},
): void {
  const dtype = options.dtype ?? 'F32';
  const shapes = clipParamShapes(config);
  checkParamShapes(shapes, new Map([...params].map(([n, t]) => [n, t.shape])), dir);
  writeConfig(dir, clipVisionConfigJson(config));
  const entries = [...shapes].map(([name, shape]) => ({ name, dtype, shape }));
  writeCheckpoint(dir, entries, (name) => convertTensor(params.get(name)!, dtype), {
    maxShardBytes: options.maxShardBytes,
  });
}
