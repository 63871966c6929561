/** Classification heads on the graph: logits [B, K] of one task from pooler_output [B, D]. */

import { linear } from '../graph/functional.js';
import type { Value } from '../graph/graph.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Heads, taskHead } from './heads.js';

/** What `logitsFrom` needs of a Heads: its kind and, for clip_zeroshot, the projection and scale. */
export type HeadLogitsKind = Pick<Heads, 'kind' | 'visualProjection' | 'logitScale'>;

/**
 * linear: W·pooler + b. clip_zeroshot: exp(logit_scale)·normalize(visual_projection·pooler)·Wᵀ + b.
 * `weight` [K, E] and `bias` [K] are graph values (constants, or inputs fed per task).
 */
export function logitsFrom(
  heads: HeadLogitsKind,
  weight: Value,
  bias: Value | undefined,
  pooler: Value,
): Value {
  if (heads.kind === 'linear') return linear(pooler, weight, bias); // [B, K]
  const graph = pooler.graph;
  const projection = graph.constant(heads.visualProjection!, 'head.visual_projection.weight'); // [E, D]
  const embedded = linear(pooler, projection); // [B, E]
  const norm = embedded.mul(embedded).sum(-1, true).sqrt(); // [B, 1]
  const scaled = embedded.div(norm).mul(Math.exp(heads.logitScale!)); // [B, E]
  return linear(scaled, weight, bias); // [B, K]
}

/** The head of `task` with its tensors as frozen graph constants. */
export function headLogits(heads: Heads, task: string, pooler: Value): Value {
  const graph = pooler.graph;
  const head = taskHead(heads, task);
  const weight = graph.constant(head.weight, `head.${task}.weight`); // [K, E]
  const bias = head.bias ? graph.constant(head.bias, `head.${task}.bias`) : undefined; // [K]
  return logitsFrom(heads, weight, bias, pooler);
}

/**
 * One graph for the heads of every task: the head's weight ['classes', E] and bias ['classes'] are graph
 * inputs, so a single compiled encoder serves all tasks; `feeds(task)` gives the tensors to feed.
 */
export function headInputs(
  heads: Heads,
  pooler: Value,
): { logits: Value; feeds: (task: string) => Record<string, Tensor> } {
  const graph = pooler.graph;
  const [, e] = [...heads.tasks.values()][0].weight.shape;
  const weight = graph.input('head.weight', 'F32', ['classes', e]);
  const bias = graph.input('head.bias', 'F32', ['classes']);
  const feeds = (task: string) => {
    const head = taskHead(heads, task);
    const k = head.weight.shape[0];
    const b = head.bias ?? { dtype: 'F32' as const, shape: [k], data: new Float32Array(k) };
    return { 'head.weight': head.weight, 'head.bias': b };
  };
  return { logits: logitsFrom(heads, weight, bias, pooler), feeds };
}
