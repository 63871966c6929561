/**
 * A Weight-Ensembling MoE module on the graph. For each sample b the module's router gives weights
 * w_b ∈ R^T (no softmax, mean over all tokens), and the module's parameters are θ_b = θ_base + Σt w_b,t·τt
 * — one GEMM [B, T] × [T, |θ|] per part; the block then runs its MLP or attention with θ_b as batched
 * matmuls. Gradients reach the router through the graph autodiff (∂L/∂w_b,t = <∂L/∂θ_b, τt>).
 */
import { WemoeError } from '../../errors.js';
import { linear } from '../../graph/functional.js';
import type { Value } from '../../graph/graph.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ModuleLookup, ParamLookup } from '../clip-vision/model.js';
import type { RouterDepth, WemoeConfig } from './config.js';
import { factoredProjection, type MixtureForm, prefersFactored } from './factored-projection.js';
import type { MoeModule } from './model.js';
import { modulePrefix } from './names.js';

/** Router parameters as graph values (inputs when trained, constants otherwise). */
export type RouterLookup = (name: string) => Value;

/**
 * Routing weights [B, T] from the module input x [B, N, D]; depth 0 gives [1, T] (input-independent).
 * With `mask` [B, N] (I64, 1 = real token) the mean runs over the real tokens only, so that a sample
 * routes the same whatever padding its batch adds.
 */
export function routingWeights(
  x: Value,
  prefix: string,
  depth: RouterDepth,
  router: RouterLookup,
  mask?: Value,
): Value {
  const g = `${prefix}gate.`;
  if (depth === 0) return router(`${g}weight`).reshape([1, -1]); // [1, T]
  const logits =
    depth === 1
      ? linear(x, router(`${g}fc.weight`), router(`${g}fc.bias`)) // [B, N, T]
      : linear(
          linear(x, router(`${g}fc1.weight`), router(`${g}fc1.bias`)).relu(),
          router(`${g}fc2.weight`),
          router(`${g}fc2.bias`),
        );
  if (!mask) return logits.mean(1); // [B, T]
  const m = mask.cast('F32').reshape([mask.shape[0], mask.shape[1], 1]); // [B, N, 1]
  return logits.mul(m).sum(1).div(m.sum(1)); // [B, T]
}

/**
 * θ_base + w·τ for one part, shaped for a batched projection: weights [B or 1, out, in], biases
 * [B or 1, 1, out] (so that they broadcast over the tokens).
 */
function mergedPart(moe: MoeModule, prefix: string, part: string, weights: Value): Value {
  const graph = weights.graph;
  const base = moe.base.get(part)!;
  const tv = moe.taskVectors.get(part)!;
  const t = tv.shape[0];
  const flat: Tensor = { dtype: 'F32', shape: [t, tv.data.length / t], data: tv.data };
  // One constant per part holds all T task vectors; the checkpoint stores them as task_vectors.{t}.*.
  const stacked = graph.constant(flat, `${prefix}task_vectors.stacked.${part}`); // [T, |θ|]
  const isBias = base.shape.length === 1;
  // θ_base + w·τ as one GEMM with θ_base as its C operand ([1, |θ|] broadcast over the samples): one pass
  // over the B copies instead of a product and a sum.
  const flatBase: Tensor = { dtype: 'F32', shape: [1, base.data.length], data: base.data };
  const baseValue = graph.constant(flatBase, `${prefix}base_model.${part}`);
  const sum = graph.op('Gemm', [weights, stacked, baseValue]); // [B, |θ|]
  const merged = sum.reshape(isBias ? [0, 1, ...base.shape] : [0, ...base.shape]); // [B, 1, out] or [B, out, in]
  // B copies of the module's weights per block would otherwise stay alive from the forward to the
  // backward (the projection's input gradient needs them); rebuilding them there costs one [B, T] × [T, |θ|]
  // GEMM, about 2T/N of the projection's own work (N tokens).
  for (const v of [sum, merged]) v.recomputeInBackward = true;
  return merged;
}

/**
 * The merged parameters of `moe` for the module input x [B, N, D], as a lookup by CLIP name, and the
 * routing weights [B, T] (or [1, T] when they do not depend on the sample: depth 0 or batch_reduce).
 * Projections read each merged weight through a transpose flag (linear), which ORT fuses into the MatMul.
 * With per-sample weights and `at.form` 'factored', or 'auto' (default) where the shapes favour it
 * (prefersFactored), the lookup's `project` computes the weight projections without merged weights.
 * `at.prefix` names the module in another model (default: the CLIP module's); `at.mask` [B, N] restricts
 * the routing mean to real tokens.
 */
export function wemoeModuleParams(
  moe: MoeModule,
  { routerDepth: depth, batchReduce }: Pick<WemoeConfig, 'routerDepth' | 'batchReduce'>,
  router: RouterLookup,
  x: Value,
  at: { readonly prefix?: string; readonly mask?: Value; readonly form?: MixtureForm } = {},
): { param: ModuleLookup; weights: Value } {
  const prefix = at.prefix ?? modulePrefix(moe.layer, moe.module);
  let weights = routingWeights(x, prefix, depth, router, at.mask); // [B, T] or [1, T]
  if (batchReduce && depth > 0) weights = weights.mean(0, true); // [1, T]
  const merged = new Map<string, Value>();
  const param: ParamLookup = (name) => {
    const part = name.slice(prefix.length);
    if (!name.startsWith(prefix) || !moe.base.has(part))
      throw new WemoeError(`wemoe: ${name} is not a parameter of the mixture module ${prefix}`);
    let value = merged.get(part);
    if (!value) {
      value = mergedPart(moe, prefix, part, weights);
      merged.set(part, value);
    }
    return value;
  };
  const [samples, tasks] = weights.shape;
  const tokens = x.shape[1];
  const form = at.form ?? 'auto';
  const factored =
    form === 'factored' ||
    (form === 'auto' &&
      samples !== 1 &&
      typeof tokens === 'number' &&
      prefersFactored(tokens, tasks as number));
  if (!factored) return { param, weights };
  // A module without biases (T5's) merges none.
  const project = (input: Value, name: string) => {
    const part = name.slice(prefix.length);
    const bias = moe.base.has(`${part}.bias`) ? param(`${name}.bias`) : undefined;
    return factoredProjection(moe, prefix, part, weights, input, bias);
  };
  return { param: Object.assign(param, { project }), weights };
}
