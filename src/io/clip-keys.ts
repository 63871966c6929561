/**
 * CLIP vision checkpoints come as a CLIPVisionModel (keys `vision_model.*`), the same without the
 * prefix, or a full CLIPModel (vision and text towers). `clipVisionView` presents any of them under the
 * canonical `vision_model.*` names of docs/formats.md, keeping `visual_projection.weight` and `logit_scale`
 * and dropping the text tower.
 */
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
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
