/**
 * CLIP vision checkpoints come as a CLIPVisionModel (keys `vision_model.*`), the same without the
 * prefix, or a full CLIPModel (vision and text towers). `clipVisionView` presents any of them under the
 * canonical `vision_model.*` names of contracts.md, keeping `visual_projection.weight` and `logit_scale`
 * and dropping the text tower.
 */
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { isPlainObject } from './safetensors-header.js';
import type { TensorInfo, TensorSource } from './tensor-source.js';

export const VISION_PREFIX = 'vision_model.';
const PATCH_EMBEDDING = 'embeddings.patch_embedding.weight';
/** Top-level CLIPModel tensors that belong with the vision tower and keep their names. */
const SHARED_KEYS = new Set(['visual_projection.weight', 'logit_scale']);

/** How the stored keys were laid out. */
export type ClipLayout = 'clip_vision_model' | 'clip_vision_model_unprefixed' | 'clip_model';

export interface ClipVisionSource extends TensorSource {
  readonly layout: ClipLayout;
  /** The stored key behind a canonical name. */
  storedName(name: string): string;
}

/** Text-tower tensors, and the `position_ids` buffer older transformers versions saved (an index, not a weight). */
function isDropped(stored: string): boolean {
  return (
    stored.startsWith('text_model.') ||
    stored === 'text_projection.weight' ||
    stored.endsWith('embeddings.position_ids')
  );
}

export function clipVisionView(source: TensorSource): ClipVisionSource {
  const prefixed = source.has(VISION_PREFIX + PATCH_EMBEDDING);
  const bare = source.has(PATCH_EMBEDDING);
  if (prefixed === bare) {
    const why = prefixed ? 'has both' : 'has neither';
    throw new WemoeError(
      `${source.path}: not a CLIP vision checkpoint: ${why} ${VISION_PREFIX}${PATCH_EMBEDDING} and ${PATCH_EMBEDDING}`,
    );
  }
  const stored = source.names();
  const fullModel = stored.some((n) => n.startsWith('text_model.'));
  const layout: ClipLayout = bare
    ? 'clip_vision_model_unprefixed'
    : fullModel
      ? 'clip_model'
      : 'clip_vision_model';
  const toStored = new Map<string, string>();
  for (const name of stored) {
    if (isDropped(name)) continue;
    const canonical = bare && !SHARED_KEYS.has(name) ? VISION_PREFIX + name : name;
    toStored.set(canonical, name);
  }
  return new ClipView(source, layout, toStored);
}

class ClipView implements ClipVisionSource {
  constructor(
    private readonly source: TensorSource,
    readonly layout: ClipLayout,
    private readonly toStored: ReadonlyMap<string, string>,
  ) {}

  get path(): string {
    return this.source.path;
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.source.metadata;
  }

  names(): string[] {
    return [...this.toStored.keys()];
  }

  has(name: string): boolean {
    return this.toStored.has(name);
  }

  storedName(name: string): string {
    const stored = this.toStored.get(name);
    if (stored === undefined)
      throw new WemoeError(
        `${this.path}: no CLIP vision tensor named ${JSON.stringify(name)} (layout ${this.layout})`,
      );
    return stored;
  }

  info(name: string): TensorInfo {
    return { ...this.source.info(this.storedName(name)), name };
  }

  read(name: string): Tensor {
    return this.source.read(this.storedName(name));
  }

  readF32(name: string): Float32Array {
    return this.source.readF32(this.storedName(name));
  }

  close(): void {
    this.source.close();
  }
}

/** transformers' CLIPVisionConfig defaults (ViT-B/32), for fields a saved config.json leaves out. */
export const CLIP_VISION_DEFAULTS: Readonly<Record<string, unknown>> = {
  model_type: 'clip_vision_model',
  hidden_size: 768,
  intermediate_size: 3072,
  projection_dim: 512,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  num_channels: 3,
  image_size: 224,
  patch_size: 32,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
};

/**
 * The vision config of a config.json: a `clip_vision_model` config as is, or a full `clip` config's
 * `vision_config` (with its top-level `projection_dim`), over transformers' defaults.
 */
export function clipVisionConfig(config: Record<string, unknown>, path: string): Record<string, unknown> {
  if (config.model_type === 'clip') {
    if (!isPlainObject(config.vision_config))
      throw new WemoeError(`${path}: a "clip" config needs a "vision_config" object`);
    const projection = config.projection_dim === undefined ? {} : { projection_dim: config.projection_dim };
    return {
      ...CLIP_VISION_DEFAULTS,
      ...projection,
      ...config.vision_config,
      model_type: 'clip_vision_model',
    };
  }
  if (config.model_type !== 'clip_vision_model') {
    throw new WemoeError(
      `${path}: model_type ${JSON.stringify(config.model_type)}, expected "clip_vision_model" or "clip"`,
    );
  }
  return { ...CLIP_VISION_DEFAULTS, ...config };
}
