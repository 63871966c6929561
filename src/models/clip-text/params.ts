/**
 * The CLIP text transformer's parameters under their Hugging Face CLIPModel names (`text_model.*` and
 * `text_projection.weight`), derived from the config, so that loading is a lookup with every key and
 * shape checked.
 */

import { numel } from '../../tensor/tensor.js';
import { blockParamShapes, type ClipParams, normalSampler } from '../clip-vision/params.js';
import type { ClipTextConfig } from './config.js';

export const TEXT_PREFIX = 'text_model.';
export const TEXT_PROJECTION = 'text_projection.weight';

/** `text_model.encoder.layers.{layer}.` */
export function textLayerPrefix(layer: number): string {
  return `${TEXT_PREFIX}encoder.layers.${layer}.`;
}

/** Every text-tower parameter's name and shape, in Hugging Face's state-dict order. */
export function clipTextParamShapes(config: ClipTextConfig): Map<string, number[]> {
  const d = config.hiddenSize;
  const e = `${TEXT_PREFIX}embeddings.`;
  const shapes: [string, number[]][] = [
    [`${e}token_embedding.weight`, [config.vocabSize, d]],
    [`${e}position_embedding.weight`, [config.maxPositionEmbeddings, d]],
  ];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    shapes.push(...blockParamShapes(textLayerPrefix(layer), d, config.intermediateSize));
  }
  shapes.push([`${TEXT_PREFIX}final_layer_norm.weight`, [d]], [`${TEXT_PREFIX}final_layer_norm.bias`, [d]]);
  shapes.push([TEXT_PROJECTION, [config.projectionDim, d]]);
  return new Map(shapes);
}

/** Mean and standard deviation of a parameter's random init (HF's CLIP scales; norms and biases perturbed). */
function initScale(name: string, config: ClipTextConfig): { mean: number; std: number } {
  const d = config.hiddenSize;
  if (name.endsWith('.bias')) return { mean: 0, std: 0.02 };
  if (/norm[12]?\.weight$/.test(name)) return { mean: 1, std: 0.05 };
  if (name.endsWith('embedding.weight')) return { mean: 0, std: 0.02 };
  if (name === TEXT_PROJECTION) return { mean: 0, std: d ** -0.5 };
  return { mean: 0, std: d ** -0.5 * (2 * config.numHiddenLayers) ** -0.5 };
}

/** Random text-tower parameters (with text_projection), for tests and benchmarks. */
export function randomClipTextParams(config: ClipTextConfig, seed = 0): ClipParams {
  const normal = normalSampler(seed);
  const params: ClipParams = new Map();
  for (const [name, shape] of clipTextParamShapes(config)) {
    const { mean, std } = initScale(name, config);
    const data = new Float32Array(numel(shape));
    for (let k = 0; k < data.length; k++) data[k] = mean + std * normal();
    params.set(name, { dtype: 'F32', shape, data });
  }
  return params;
}
