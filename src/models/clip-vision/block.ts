/**
 * One pre-LN transformer block of Hugging Face's CLIPEncoder, shared by the vision and text towers:
 * x + attn(layer_norm1(x)), then + mlp(layer_norm2(·)); attention scales q by head_dim^-0.5 and adds an
 * optional additive mask (the text tower's causal and padding mask) to the scores before the softmax.
 */
import { gelu, layerNorm, linear, quickGelu, softmax } from '../../graph/functional.js';
import type { Value } from '../../graph/graph.js';

export type HiddenAct = 'quick_gelu' | 'gelu';

/** A parameter by its canonical HF name, as a graph value in the HF layout (linear weights [out, in]). */
export type ParamLookup = (name: string) => Value;

/**
 * A module's parameters as a hook gives them: a lookup, and optionally `project`, which computes the
 * projection under `name` (e.g. `...mlp.fc1`) on its input x [B, T, in] itself, x·Wᵀ + b without W
 * (undefined: the block applies the looked-up weight and bias).
 */
export type ModuleLookup = ParamLookup & {
  readonly project?: (x: Value, name: string) => Value | undefined;
};

/** The projection `name` of a module on x: the hook's own, or x·Wᵀ + b with the looked-up W and b. */
function projection(param: ModuleLookup, name: string, x: Value): Value {
  return param.project?.(x, name) ?? linear(x, param(`${name}.weight`), param(`${name}.bias`));
}

/** A module of a block whose parameters a hook may replace. */
export type BlockModule = 'self_attn' | 'mlp';

/** What a block needs of a tower's config. */
export interface BlockConfig {
  readonly hiddenSize: number;
  readonly numAttentionHeads: number;
  readonly layerNormEps: number;
  readonly hiddenAct: HiddenAct;
}

export interface BlockOptions {
  /** T: tokens per sequence (static). */
  readonly seqLen: number;
  /** Additive attention mask broadcast to the scores [B, H, T, T] (0 = attend, very negative = not). */
  readonly mask?: Value;
  /** Replaces a module's parameters; `x` is its input [B, T, D]. Undefined keeps the block's own. */
  readonly moduleParams?: (module: BlockModule, x: Value) => ModuleLookup | undefined;
}

/** The MLP activation: quick_gelu (CLIP) or the exact erf gelu. */
export function activation(x: Value, kind: HiddenAct): Value {
  return kind === 'quick_gelu' ? quickGelu(x) : gelu(x);
}

function attention(
  config: BlockConfig,
  param: ModuleLookup,
  prefix: string,
  x: Value,
  options: BlockOptions,
): Value {
  const heads = config.numAttentionHeads;
  const hd = config.hiddenSize / heads;
  const t = options.seqLen;
  const proj = (name: string) => projection(param, `${prefix}${name}`, x);
  const split = (v: Value) => v.reshape([0, t, heads, hd]).transpose([0, 2, 1, 3]); // [B, H, T, hd]
  const q = split(proj('q_proj').mul(hd ** -0.5));
  const k = split(proj('k_proj'));
  const v = split(proj('v_proj'));
  const raw = q.matmul(k.mT()); // [B, H, T, T]
  const scores = options.mask ? raw.add(options.mask) : raw;
  const probs = softmax(scores, -1);
  const mixed = probs
    .matmul(v) // [B, H, T, hd]
    .transpose([0, 2, 1, 3])
    .reshape([0, t, config.hiddenSize]); // [B, T, D]
  return projection(param, `${prefix}out_proj`, mixed);
}

/** fc2(act(fc1(x))). */
function mlp(config: BlockConfig, param: ModuleLookup, prefix: string, x: Value): Value {
  const hidden = activation(projection(param, `${prefix}fc1`, x), config.hiddenAct); // [B, T, I]
  return projection(param, `${prefix}fc2`, hidden); // [B, T, D]
}

/** The block whose parameters are under `prefix` (e.g. `vision_model.encoder.layers.3.`) on x [B, T, D]. */
export function encoderBlock(
  config: BlockConfig,
  param: ParamLookup,
  prefix: string,
  x: Value,
  options: BlockOptions,
): Value {
  const eps = config.layerNormEps;
  const norm1 = layerNorm(x, param(`${prefix}layer_norm1.weight`), param(`${prefix}layer_norm1.bias`), eps);
  const attentionParam = options.moduleParams?.('self_attn', norm1) ?? param;
  const afterAttention = x.add(attention(config, attentionParam, `${prefix}self_attn.`, norm1, options)); // [B, T, D]
  const norm2 = layerNorm(
    afterAttention,
    param(`${prefix}layer_norm2.weight`),
    param(`${prefix}layer_norm2.bias`),
    eps,
  );
  const mlpParam = options.moduleParams?.('mlp', norm2) ?? param;
  return afterAttention.add(mlp(config, mlpParam, `${prefix}mlp.`, norm2)); // [B, T, D]
}
