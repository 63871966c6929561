/** The text tower of a full Hugging Face CLIPModel folder: loaded with every key and shape checked. */
import { openCheckpoint } from '../../io/checkpoint.js';
import type { TensorSource } from '../../io/tensor-source.js';
import { type ClipParams, checkParamShapes } from '../clip-vision/params.js';
import { type ClipTextConfig, readClipTextConfig } from './config.js';
import { clipTextParamShapes, TEXT_PREFIX, TEXT_PROJECTION } from './params.js';

export interface ClipTextModel {
  readonly config: ClipTextConfig;
  /** `text_model.*` and `text_projection.weight` → float32 tensors. */
  readonly params: ClipParams;
  /** Natural log of the logit multiplier (`logit_scale`), when the checkpoint holds it. */
  readonly logitScale?: number;
}

const isTextTensor = (name: string) => name.startsWith(TEXT_PREFIX) || name === TEXT_PROJECTION;
/** The `position_ids` buffer older transformers versions saved: an index, not a weight. */
const isPositionIds = (name: string) => name.endsWith('embeddings.position_ids');

/** Checks, from the headers alone, that an opened checkpoint holds the text tower `config` describes. */
export function checkClipTextSource(config: ClipTextConfig, source: TensorSource): void {
  const found = new Map<string, readonly number[]>();
  for (const name of source.names()) {
    if (isTextTensor(name) && !isPositionIds(name)) found.set(name, source.info(name).shape);
  }
  checkParamShapes(clipTextParamShapes(config), found, source.path, () => false, 'text');
}

/** Reads and checks the text tower of an opened CLIPModel checkpoint (stored F32, F16 or BF16). */
export function clipTextParamsFromSource(config: ClipTextConfig, source: TensorSource): ClipParams {
  checkClipTextSource(config, source);
  const expected = clipTextParamShapes(config);
  const params: ClipParams = new Map();
  for (const [name, shape] of expected) params.set(name, { dtype: 'F32', shape, data: source.readF32(name) });
  return params;
}

/** Loads the text tower (and logit_scale) of the full CLIPModel folder `dir`. */
export function loadClipText(dir: string): ClipTextModel {
  const config = readClipTextConfig(dir);
  const source = openCheckpoint(dir);
  try {
    const params = clipTextParamsFromSource(config, source);
    const logitScale = source.has('logit_scale') ? source.readF32('logit_scale')[0] : undefined;
    return { config, params, logitScale };
  } finally {
    source.close();
  }
}
