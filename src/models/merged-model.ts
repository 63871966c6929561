/**
 * What a merge method returns, in memory: a vision encoder (plain CLIP or WEMoE) or a T5 model (plain, as
 * static methods and AdaMerging give it, or WEMoE); saving writes the folder each one loads from.
 */
import { saveT5, type T5Model } from './t5/checkpoint.js';
import type { T5WemoeModel } from './t5/wemoe.js';
import { saveT5Wemoe } from './t5/wemoe-checkpoint.js';
import { saveVisionModel, type VisionModel } from './vision-model.js';

/** A plain T5 model (kind 't5') or a WEMoE T5 model. */
export type T5MergedModel =
  | { readonly kind: 't5'; readonly model: T5Model }
  | { readonly kind: 't5-wemoe'; readonly model: T5WemoeModel };

export type MergedModel = VisionModel | T5MergedModel;

export function isT5Merged(model: MergedModel): model is T5MergedModel {
  return model.kind === 't5' || model.kind === 't5-wemoe';
}

/** Writes the model's folder (config.json and weights; shards above `maxShardBytes` for T5). */
export function saveMergedModel(dir: string, model: MergedModel, maxShardBytes?: number): void {
  if (model.kind === 't5') saveT5(dir, model.model, { maxShardBytes });
  else if (model.kind === 't5-wemoe') saveT5Wemoe(dir, model.model, maxShardBytes);
  else saveVisionModel(dir, model);
}
