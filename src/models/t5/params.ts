/**
 * T5's parameters under their Hugging Face names, derived from the config, so that loading a
 * checkpoint is a lookup with every key and shape checked.
 */
import { createRandom } from '../../data/random.js';
import { WemoeError } from '../../errors.js';
import { numel, shapeString, type Tensor } from '../../tensor/tensor.js';
import { innerDim, type T5Config } from './config.js';

/** Hugging Face names → float32 tensors. */
export type T5Params = Map<string, Tensor>;

export type T5Stack = 'encoder' | 'decoder';

export const SHARED = 'shared.weight';
export const LM_HEAD = 'lm_head.weight';

/** `encoder.block.{i}.layer.` or `decoder.block.{i}.layer.` */
export function blockPrefix(stack: T5Stack, block: number): string {
  return `${stack}.block.${block}.layer.`;
}

/** The relative position bias table [buckets, heads] of a stack (in its first block only). */
export function relativeBiasName(stack: T5Stack): string {
  return `${blockPrefix(stack, 0)}0.SelfAttention.relative_attention_bias.weight`;
}

/** The feed-forward sub-layer's index: 1 in the encoder, 2 in the decoder (after cross-attention). */
export function feedForwardIndex(stack: T5Stack): number {
  return stack === 'encoder' ? 1 : 2;
}

function attentionShapes(config: T5Config, prefix: string): [string, number[]][] {
  const d = config.dModel;
  const inner = innerDim(config);
  return [
    [`${prefix}q.weight`, [inner, d]],
    [`${prefix}k.weight`, [inner, d]],
    [`${prefix}v.weight`, [inner, d]],
    [`${prefix}o.weight`, [d, inner]],
  ];
}

function feedForwardShapes(config: T5Config, prefix: string): [string, number[]][] {
  const { dModel: d, dFf: f } = config;
  // Hugging Face keeps the attribute name DenseReluDense for the gated module (T5DenseGatedActDense) too.
  const p = `${prefix}DenseReluDense.`;
  const wi: [string, number[]][] = config.isGatedAct
    ? [
        [`${p}wi_0.weight`, [f, d]],
        [`${p}wi_1.weight`, [f, d]],
      ]
    : [[`${p}wi.weight`, [f, d]]];
  return [...wi, [`${p}wo.weight`, [d, f]], [`${prefix}layer_norm.weight`, [d]]];
}

function stackShapes(config: T5Config, stack: T5Stack): [string, number[]][] {
  const d = config.dModel;
  const layers = stack === 'encoder' ? config.numLayers : config.numDecoderLayers;
  const shapes: [string, number[]][] = [];
  for (let b = 0; b < layers; b++) {
    const p = blockPrefix(stack, b);
    shapes.push(...attentionShapes(config, `${p}0.SelfAttention.`));
    if (b === 0)
      shapes.push([relativeBiasName(stack), [config.relativeAttentionNumBuckets, config.numHeads]]);
    shapes.push([`${p}0.layer_norm.weight`, [d]]);
    if (stack === 'decoder') {
      shapes.push(...attentionShapes(config, `${p}1.EncDecAttention.`), [`${p}1.layer_norm.weight`, [d]]);
    }
    shapes.push(...feedForwardShapes(config, `${p}${feedForwardIndex(stack)}.`));
  }
  shapes.push([`${stack}.final_layer_norm.weight`, [d]]);
  return shapes;
}

/** Every parameter's name and shape; lm_head only when untied. */
export function t5ParamShapes(config: T5Config): Map<string, number[]> {
  const shapes: [string, number[]][] = [[SHARED, [config.vocabSize, config.dModel]]];
  shapes.push(...stackShapes(config, 'encoder'), ...stackShapes(config, 'decoder'));
  if (!config.tieWordEmbeddings) shapes.push([LM_HEAD, [config.vocabSize, config.dModel]]);
  return new Map(shapes);
}

/** Total number of parameters (the embedding counted once). */
export function t5ParamCount(config: T5Config): number {
  let n = 0;
  for (const shape of t5ParamShapes(config).values()) n += numel(shape);
  return n;
}

function listFew(names: string[], few = 3): string {
  const shown = names.slice(0, few).join(', ');
  return names.length > few ? `${shown} (+${names.length - few} more)` : shown;
}

/** Checks `found` against `expected`: one WemoeError naming missing, unexpected and wrongly shaped tensors. */
export function checkT5Shapes(
  expected: ReadonlyMap<string, readonly number[]>,
  found: ReadonlyMap<string, readonly number[]>,
  source: string,
): void {
  const missing = [...expected.keys()].filter((name) => !found.has(name));
  const unexpected = [...found.keys()].filter((name) => !expected.has(name));
  const wrong: string[] = [];
  for (const [name, shape] of found) {
    const want = expected.get(name);
    if (want && shapeString(want) !== shapeString(shape))
      wrong.push(`${name} is ${shapeString(shape)}, expected ${shapeString(want)}`);
  }
  const problems: string[] = [];
  if (missing.length) problems.push(`${missing.length} missing: ${listFew(missing)}`);
  if (unexpected.length) problems.push(`${unexpected.length} unexpected: ${listFew(unexpected)}`);
  if (wrong.length) problems.push(`${wrong.length} with wrong shape: ${listFew(wrong)}`);
  if (problems.length)
    throw new WemoeError(`${source}: T5 parameters do not match the config; ${problems.join('; ')}`);
}

/** Standard deviation (and mean) of a parameter's random init, near Hugging Face's T5 init. */
function initScale(name: string, config: T5Config): { mean: number; std: number } {
  const { dModel: d, dKv: kv, dFf: f } = config;
  // Norms are perturbed around 1 (HF inits them to 1) so that tests see every weight act.
  if (name.endsWith('layer_norm.weight')) return { mean: 1, std: 0.1 };
  if (name === SHARED || name === LM_HEAD) return { mean: 0, std: 1 };
  if (name.endsWith('relative_attention_bias.weight')) return { mean: 0, std: 0.5 };
  if (name.endsWith('q.weight')) return { mean: 0, std: (d * kv) ** -0.5 };
  if (/\.(k|v)\.weight$/.test(name)) return { mean: 0, std: d ** -0.5 };
  if (name.endsWith('o.weight')) return { mean: 0, std: (config.numHeads * kv) ** -0.5 };
  if (/wi(_[01])?\.weight$/.test(name)) return { mean: 0, std: d ** -0.5 };
  if (name.endsWith('wo.weight')) return { mean: 0, std: f ** -0.5 };
  throw new WemoeError(`randomT5Params: no init rule for parameter ${name}`);
}

/** Random parameters at T5's init scale (seeded), for tests and benchmarks. */
export function randomT5Params(config: T5Config, seed = 0): T5Params {
  const random = createRandom(seed);
  const params: T5Params = new Map();
  for (const [name, shape] of t5ParamShapes(config)) {
    const { mean, std } = initScale(name, config);
    const data = new Float32Array(numel(shape));
    for (let k = 0; k < data.length; k++) data[k] = mean + std * random.normal();
    params.set(name, { dtype: 'F32', shape, data });
  }
  return params;
}
