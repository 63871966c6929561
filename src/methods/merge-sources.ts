/** The checkpoints of a merge config, opened lazily (headers only until a tensor is read). */
import { openCheckpoint } from '../io/checkpoint.js';
import type { TensorSource } from '../io/tensor-source.js';
import type { MergeSources } from '../merge/plan.js';
import { alignClipExperts } from './clip-merge-sources.js';
import { passThroughNames, withoutTensors } from './complete-output.js';
import type { MergeConfig } from './resolved-config.js';

/** The merge's sources; a full CLIPModel's tensors beside the vision tower are kept out of the plan. */
export interface OpenedSources extends MergeSources {
  /** Pre-trained tensors copied unchanged into the output (see complete-output). */
  readonly passThrough: readonly string[];
  readonly pretrainedAll: TensorSource;
}

export function openSources(config: MergeConfig): OpenedSources {
  const opened: TensorSource[] = [];
  try {
    const open = (path: string) => {
      const source = openCheckpoint(path);
      opened.push(source);
      return source;
    };
    const pretrainedAll = open(config.models.pretrained);
    const experts = Object.fromEntries(Object.entries(config.models.experts).map(([t, p]) => [t, open(p)]));
    const passThrough = passThroughNames(pretrainedAll, Object.values(experts));
    // Experts of another CLIP layout (vision-only, unprefixed) are read under the pretrained model's names.
    const aligned = alignClipExperts({ pretrained: pretrainedAll, experts });
    if (passThrough.length === 0) return { ...aligned, passThrough, pretrainedAll };
    const hide = (source: TensorSource) => withoutTensors(source, passThrough);
    return {
      pretrained: hide(pretrainedAll),
      experts: Object.fromEntries(Object.entries(aligned.experts).map(([task, e]) => [task, hide(e)])),
      passThrough,
      pretrainedAll,
    };
  } catch (error) {
    for (const source of opened) source.close();
    throw error;
  }
}

export function closeSources(sources: MergeSources): void {
  sources.pretrained.close();
  for (const expert of Object.values(sources.experts)) expert.close();
}
