/**
 * The Weight-Ensembling MoE MLP on the graph. For each sample b the router gives weights w_b ∈ R^T (no
 * softmax, mean over all tokens), the MLP weights are θ_b = θ_base + Σt w_b,t·τt — one GEMM
 * [B, T] × [T, |θ|] per part — and the MLP runs with θ_b as batched matmuls. Gradients reach the router
 * through the graph autodiff (∂L/∂w_b,t = <∂L/∂θ_b, τt>).
 */
import { linear } from '../../graph/functional.js';
import type { Graph, Value } from '../../graph/graph.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ClipVisionConfig } from '../clip-vision/config.js';
import { activation } from '../clip-vision/model.js';
import type { RouterDepth } from './config.js';
import type { WemoeLayer } from './model.js';
import { baseName, type MlpPart, mlpPrefix } from './names.js';

/** Router parameters of a layer as graph values (inputs when trained, constants otherwise). */
export type RouterLookup = (name: string) => Value;

/** Routing weights [B, T] from the MLP input x [B, N, D]; depth 0 gives [1, T] (input-independent). */
export function routingWeights(x: Value, layer: number, depth: RouterDepth, router: RouterLookup): Value {
  const g = `${mlpPrefix(layer)}gate.`;
  if (depth === 0) return router(`${g}weight`).reshape([1, -1]); // [1, T]
  const logits =
    depth === 1
      ? linear(x, router(`${g}fc.weight`), router(`${g}fc.bias`)) // [B, N, T]
      : linear(
          linear(x, router(`${g}fc1.weight`), router(`${g}fc1.bias`)).relu(),
          router(`${g}fc2.weight`),
          router(`${g}fc2.bias`),
        );
  return logits.mean(1); // [B, T]
}

/** θ_base + w·τ for one MLP part: [B or 1, ...shape]. */
function mergedPart(graph: Graph, layer: number, part: MlpPart, weights: Value, moe: WemoeLayer): Value {
  const base = moe.base[part];
  const tv = moe.taskVectors[part];
  const t = tv.shape[0];
  const flat: Tensor = { dtype: 'F32', shape: [t, tv.data.length / t], data: tv.data };
  // One constant per part holds all T task vectors; the checkpoint stores them as task_vectors.{t}.*.
  const stacked = graph.constant(flat, `${mlpPrefix(layer)}task_vectors.stacked.${part}`); // [T, |θ|]
  const delta = weights.matmul(stacked).reshape([0, ...base.shape]); // [B, ...shape]
  return graph.constant(base, baseName(layer, part)).add(delta);
}

/**
 * The mixture MLP of `layer` on x [B, N, D]. Returns the output [B, N, D] and the routing weights
 * [B, T] (or [1, T] when they do not depend on the sample: depth 0 or batch_reduce).
 */
export function wemoeMlp(
  config: ClipVisionConfig,
  layer: number,
  moe: WemoeLayer,
  depth: RouterDepth,
  batchReduce: boolean,
  router: RouterLookup,
  x: Value,
): { output: Value; weights: Value } {
  const graph = x.graph;
  let weights = routingWeights(x, layer, depth, router); // [B, T] or [1, T]
  if (batchReduce && depth > 0) weights = weights.mean(0, true); // [1, T]
  const w1 = mergedPart(graph, layer, 'fc1.weight', weights, moe); // [B, I, D]
  const b1 = mergedPart(graph, layer, 'fc1.bias', weights, moe).reshape([0, 1, config.intermediateSize]); // [B, 1, I]
  const w2 = mergedPart(graph, layer, 'fc2.weight', weights, moe); // [B, D, I]
  const b2 = mergedPart(graph, layer, 'fc2.bias', weights, moe).reshape([0, 1, config.hiddenSize]); // [B, 1, D]
  // Transpose flags, not mT(): each merged weight is read transposed by one MatMul (which ORT fuses), and
  // the backward uses it as stored; an mT() value feeds forward and backward and is materialised.
  const hidden = activation(x.matmul(w1, { transposeB: true }).add(b1), config.hiddenAct); // [B, N, I]
  return { output: hidden.matmul(w2, { transposeB: true }).add(b2), weights }; // [B, N, D]
}
