/** A vision encoder in memory as the merge methods return it: a plain CLIP vision encoder, or a WEMoE model. */
import { saveClipVision } from './clip-vision/checkpoint.js';
import type { ClipVisionConfig } from './clip-vision/config.js';
import type { ClipParams } from './clip-vision/params.js';
import { saveWemoe } from './wemoe/checkpoint.js';
import type { WemoeModel } from './wemoe/model.js';

/** Pre-trained, an expert, a static or AdaMerging merge (kind 'clip'), or a WEMoE model. */
export type VisionModel =
  | { readonly kind: 'clip'; readonly config: ClipVisionConfig; readonly params: ClipParams }
  | { readonly kind: 'wemoe'; readonly model: WemoeModel };

/** Writes the model's folder (config.json and weights), loadable by loadClipVision or loadWemoe. */
export function saveVisionModel(dir: string, model: VisionModel): void {
  if (model.kind === 'clip') saveClipVision(dir, model.config, model.params);
  else saveWemoe(dir, model.model);
}
