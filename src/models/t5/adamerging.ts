/**
 * AdaMerging on T5 (Yang et al., ICLR 2024; FusionBench's Flan-T5 layer-wise AdaMerging): θ = θ0 + Σt λt·τt
 * with one λ per task (task-wise) or per task and parameter tensor (layer-wise), built in the graph by the
 * same merge code as CLIP's (models/adamerging/model.ts) so that gradients reach λ.
 */
import { type AdaMergingMerge, type AdaMergingOptions, createAdaMergingOf } from '../adamerging/model.js';
import type { T5Config } from './config.js';
import { type T5Params, t5ParamShapes } from './params.js';

export interface T5AdaMerging extends AdaMergingMerge {
  readonly t5: T5Config;
}

/** λ rows follow t5ParamShapes' order (the embedding once; lm_head when untied). */
export function createT5AdaMerging(
  config: T5Config,
  pretrained: T5Params,
  experts: ReadonlyMap<string, T5Params>,
  options: AdaMergingOptions,
): T5AdaMerging {
  return {
    t5: config,
    ...createAdaMergingOf([...t5ParamShapes(config).keys()], pretrained, experts, options),
  };
}
