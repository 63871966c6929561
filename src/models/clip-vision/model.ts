/**
 * The CLIP vision transformer as a function on the graph, exactly Hugging Face's CLIPVisionModel:
 * patch embedding (a stride-P convolution, done as reshape + matmul), class token, position embeddings,
 * pre_layrnorm, pre-LN blocks (attention with head_dim^-0.5 on q; quick_gelu MLP), post_layernorm on
 * the class token → pooler_output.
 */
import { WemoeError } from '../../errors.js';
import { concat, layerNorm, linear } from '../../graph/functional.js';
import type { Graph, Value } from '../../graph/graph.js';
import { type BlockModule, encoderBlock, type ModuleLookup, type ParamLookup } from './block.js';
import { type ClipVisionConfig, numPatches } from './config.js';
import { type ClipParams, clipParamShapes, layerPrefix, VISION_PREFIX } from './params.js';

export type { BlockModule, ModuleLookup, ParamLookup } from './block.js';

/**
 * Replaces the parameter lookup of a block's attention or MLP: `x` is the module's input (after
 * layer_norm1 or layer_norm2), [B, N+1, D]. The lookup may return per-sample parameters ([B, out, in]
 * weights, [B, 1, out] biases): every projection is a batched matmul; or compute projections itself
 * (ModuleLookup.project). Returns undefined to keep the block's own parameters. The WEMoE modules plug in
 * here (their routers read `x`).
 */
export type ModuleParamsFn = (layer: number, module: BlockModule, x: Value) => ModuleLookup | undefined;

export interface ClipVisionOptions {
  /** Replaces the parameters of chosen modules; absent = every module uses the model's parameters. */
  readonly moduleParams?: ModuleParamsFn;
}

export interface ClipVisionOutputs {
  /** [B, N+1, D] */
  readonly lastHiddenState: Value;
  /** [B, D]: post_layernorm of the class token */
  readonly poolerOutput: Value;
}

/** Tokens [B, N+1, D]: class token then the patches in row-major order, plus position embeddings. */
function embeddings(config: ClipVisionConfig, param: ParamLookup, pixels: Value): Value {
  const { numChannels: c, patchSize: p, hiddenSize: d } = config;
  const grid = config.imageSize / p;
  const n = numPatches(config);
  const e = `${VISION_PREFIX}embeddings.`;
  const patches = pixels
    .reshape([0, c, grid, p, grid, p]) // [B, C, gy, P, gx, P]
    .transpose([0, 2, 4, 1, 3, 5]) // [B, gy, gx, C, P, P]
    .reshape([0, n, c * p * p]); // [B, N, C·P·P]
  const kernel = param(`${e}patch_embedding.weight`).reshape([d, c * p * p]); // [D, C·P·P]
  const tokens = linear(patches, kernel); // [B, N, D]
  const cls = param(`${e}class_embedding`).reshape([1, 1, d]).expand([pixels.shape[0], 1, d]); // [B, 1, D]
  const all = concat([cls, tokens], 1); // [B, N+1, D]
  return all.add(param(`${e}position_embedding.weight`)); // [B, N+1, D]
}

/** Block `layer`, with the options' module hook bound to it. */
function block(
  config: ClipVisionConfig,
  param: ParamLookup,
  layer: number,
  x: Value,
  options: ClipVisionOptions,
): Value {
  const hook = options.moduleParams;
  return encoderBlock(config, param, layerPrefix(layer), x, {
    seqLen: numPatches(config) + 1,
    moduleParams: hook && ((module, input) => hook(layer, module, input)),
  });
}

/** The forward of HF CLIPVisionModel on `pixelValues` [B, C, H, W] (B may be symbolic). */
export function clipVisionForward(
  config: ClipVisionConfig,
  param: ParamLookup,
  pixelValues: Value,
  options: ClipVisionOptions = {},
): ClipVisionOutputs {
  const eps = config.layerNormEps;
  let x = embeddings(config, param, pixelValues);
  x = layerNorm(
    x,
    param(`${VISION_PREFIX}pre_layrnorm.weight`),
    param(`${VISION_PREFIX}pre_layrnorm.bias`),
    eps,
  );
  for (let layer = 0; layer < config.numHiddenLayers; layer++) x = block(config, param, layer, x, options);
  const cls = x.slice(1, 0, 1).reshape([0, config.hiddenSize]); // [B, D]
  const poolerOutput = layerNorm(
    cls,
    param(`${VISION_PREFIX}post_layernorm.weight`),
    param(`${VISION_PREFIX}post_layernorm.bias`),
    eps,
  );
  return { lastHiddenState: x, poolerOutput };
}

/** Parameters as graph constants (ONNX initializers named by their HF names), made on first use. */
export function constantParams(graph: Graph, params: ClipParams): ParamLookup {
  const made = new Map<string, Value>();
  return (name) => {
    let value = made.get(name);
    if (!value) {
      const tensor = params.get(name);
      if (!tensor) throw new WemoeError(`clip-vision: the model has no parameter ${name}`);
      value = graph.constant(tensor, name);
      made.set(name, value);
    }
    return value;
  };
}

/** Parameters as run-time graph inputs named by their HF names (trained parameters, or weights fed per run). */
export function inputParams(
  graph: Graph,
  config: ClipVisionConfig,
): { lookup: ParamLookup; values: Map<string, Value> } {
  const values = new Map<string, Value>();
  for (const [name, shape] of clipParamShapes(config)) values.set(name, graph.input(name, 'F32', shape));
  const lookup: ParamLookup = (name) => {
    const value = values.get(name);
    if (!value) throw new WemoeError(`clip-vision: the model has no parameter ${name}`);
    return value;
  };
  return { lookup, values };
}
