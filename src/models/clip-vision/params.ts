/**
 * The CLIP vision transformer's parameters under their Hugging Face names (docs/formats.md), derived from
 * the config, so that loading a checkpoint is a lookup with every key and shape checked.
 */

import { createRandom } from '../../data/random.js';
import { WemoeError } from '../../errors.js';
import { float32, numel, shapeString, type Tensor } from '../../tensor/tensor.js';
import { type ClipVisionConfig, numPatches } from './config.js';

/** Canonical names (prefix `vision_model.`) → float32 tensors. */
export type ClipParams = Map<string, Tensor>;

export const VISION_PREFIX = 'vision_model.';

/** `vision_model.encoder.layers.{layer}.` */
export function layerPrefix(layer: number): string {
  return `${VISION_PREFIX}encoder.layers.${layer}.`;
}

/** The names and shapes of one encoder block under `prefix` (width D, MLP width I), in HF order. */
export function blockParamShapes(prefix: string, d: number, i: number): [string, number[]][] {
  const p = prefix;
  const shapes: [string, number[]][] = [];
  for (const proj of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) {
    shapes.push([`${p}self_attn.${proj}.weight`, [d, d]], [`${p}self_attn.${proj}.bias`, [d]]);
  }
  shapes.push([`${p}layer_norm1.weight`, [d]], [`${p}layer_norm1.bias`, [d]]);
  shapes.push([`${p}mlp.fc1.weight`, [i, d]], [`${p}mlp.fc1.bias`, [i]]);
  shapes.push([`${p}mlp.fc2.weight`, [d, i]], [`${p}mlp.fc2.bias`, [d]]);
  shapes.push([`${p}layer_norm2.weight`, [d]], [`${p}layer_norm2.bias`, [d]]);
  return shapes;
}

/** Every encoder parameter's name and shape, in Hugging Face's state-dict order. */
export function clipParamShapes(config: ClipVisionConfig): Map<string, number[]> {
  const d = config.hiddenSize;
  const e = `${VISION_PREFIX}embeddings.`;
  const shapes: [string, number[]][] = [
    [`${e}class_embedding`, [d]],
    [`${e}patch_embedding.weight`, [d, config.numChannels, config.patchSize, config.patchSize]],
    [`${e}position_embedding.weight`, [numPatches(config) + 1, d]],
    [`${VISION_PREFIX}pre_layrnorm.weight`, [d]],
    [`${VISION_PREFIX}pre_layrnorm.bias`, [d]],
  ];
  for (let layer = 0; layer < config.numHiddenLayers; layer++)
    shapes.push(...blockParamShapes(layerPrefix(layer), config.hiddenSize, config.intermediateSize));
  shapes.push([`${VISION_PREFIX}post_layernorm.weight`, [d]], [`${VISION_PREFIX}post_layernorm.bias`, [d]]);
  return new Map(shapes);
}

/** Total number of encoder parameters (87.8M for ViT-B/32). */
export function clipParamCount(config: ClipVisionConfig): number {
  let n = 0;
  for (const shape of clipParamShapes(config).values()) n += numel(shape);
  return n;
}

function listFew(names: string[], few = 3): string {
  const shown = names.slice(0, few).join(', ');
  return names.length > few ? `${shown} (+${names.length - few} more)` : shown;
}

/**
 * Checks `found` (name → shape) against `expected`: throws ONE WemoeError naming the missing, the
 * unexpected and the wrongly shaped tensors (first few of each kind). `ignore` names found tensors
 * that may be present without being expected.
 */
export function checkParamShapes(
  expected: ReadonlyMap<string, readonly number[]>,
  found: ReadonlyMap<string, readonly number[]>,
  source: string,
  ignore: (name: string) => boolean = () => false,
  tower: 'vision' | 'text' = 'vision',
): void {
  const missing = [...expected.keys()].filter((name) => !found.has(name));
  const unexpected = [...found.keys()].filter((name) => !expected.has(name) && !ignore(name));
  const wrongShape: string[] = [];
  for (const [name, shape] of found) {
    const want = expected.get(name);
    if (want && shapeString(want) !== shapeString(shape)) {
      wrongShape.push(`${name} is ${shapeString(shape)}, expected ${shapeString(want)}`);
    }
  }
  const problems: string[] = [];
  if (missing.length) problems.push(`${missing.length} missing: ${listFew(missing)}`);
  if (unexpected.length) problems.push(`${unexpected.length} unexpected: ${listFew(unexpected)}`);
  if (wrongShape.length) problems.push(`${wrongShape.length} with wrong shape: ${listFew(wrongShape)}`);
  if (problems.length)
    throw new WemoeError(
      `${source}: CLIP ${tower} parameters do not match the config; ${problems.join('; ')}`,
    );
}

/** A seeded standard-normal sampler: the same seed gives the same weights everywhere. */
export function normalSampler(seed: number): () => number {
  const random = createRandom(seed);
  return () => random.normal();
}

/** Standard deviation and mean of each parameter's random init, after Hugging Face's CLIP init. */
function initScale(name: string, config: ClipVisionConfig): { mean: number; std: number } {
  const d = config.hiddenSize;
  const depthScale = (2 * config.numHiddenLayers) ** -0.5;
  // Biases and norms are perturbed (HF inits them to 0 and 1) so that tests see every parameter act.
  if (name.endsWith('.bias')) return { mean: 0, std: 0.02 };
  if (/norm[12]?\.weight$|layrnorm\.weight$/.test(name)) return { mean: 1, std: 0.05 };
  if (name.endsWith('class_embedding')) return { mean: 0, std: d ** -0.5 };
  if (name.endsWith('patch_embedding.weight') || name.endsWith('position_embedding.weight')) {
    return { mean: 0, std: 0.02 };
  }
  if (/(q|k|v)_proj\.weight$/.test(name) || name.endsWith('fc2.weight'))
    return { mean: 0, std: d ** -0.5 * depthScale };
  if (name.endsWith('out_proj.weight')) return { mean: 0, std: d ** -0.5 };
  if (name.endsWith('fc1.weight')) return { mean: 0, std: (2 * d) ** -0.5 };
  throw new WemoeError(`randomClipParams: no init rule for parameter ${name}`);
}

/** Random encoder parameters at CLIP's init scale, for tests and benchmarks. */
export function randomClipParams(config: ClipVisionConfig, seed = 0): ClipParams {
  const normal = normalSampler(seed);
  const params: ClipParams = new Map();
  for (const [name, shape] of clipParamShapes(config)) {
    const { mean, std } = initScale(name, config);
    const data = new Float32Array(numel(shape));
    for (let k = 0; k < data.length; k++) data[k] = mean + std * normal();
    params.set(name, { dtype: 'F32', shape, data });
  }
  return params;
}

/** A copy of `params` with the named tensors replaced by zeros (for invariant tests). */
export function withZeroed(params: ClipParams, names: Iterable<string>): ClipParams {
  const copy = new Map(params);
  for (const name of names) {
    const tensor = params.get(name);
    if (!tensor) throw new WemoeError(`withZeroed: no parameter named ${name}`);
    copy.set(name, float32(tensor.shape));
  }
  return copy;
}
