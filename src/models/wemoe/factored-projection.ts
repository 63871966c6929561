/**
 * A mixture module's projection without per-sample weights: x_b·θ_bᵀ + b_b = x_b·θᵀ + b_b + Σt w_b,t·(x_b·τtᵀ),
 * with the products x·τtᵀ of every task as one GEMM over all the batch's tokens against the stacked task
 * vectors [T·out, in], then mixed per sample. The same maths as the merged form (θ_b = θ + Σt w_b,t·τt
 * materialised per sample), summed in another order.
 */
import { linear } from '../../graph/functional.js';
import type { Value } from '../../graph/graph.js';
import type { MoeModule } from './model.js';

/** How a mixture module applies its per-sample parameters: chosen from the shapes, or one form. */
export type MixtureForm = 'auto' | 'merged' | 'factored';

/**
 * What moving one byte costs in GEMM FLOPs in the cost model below: the ratio of a GEMM's FLOP rate to the
 * rate at which the merged form's per-sample copies are written and read. Fitted to the measured break-even
 * of the two forms, about 26 tokens with 8 tasks (a 2-block ViT-B/32 step at batch 16 and image sizes 96,
 * 160 and 224: docs/experiments.md).
 */
const FLOPS_PER_BYTE = 30;

/**
 * Whether the factored form costs less than the merged one for N tokens per sample and T tasks. Per sample
 * and weight entry, FLOPs counting a multiply-add as 2: the merged form runs the projection three times
 * (forward, input and weight gradients) and the merge three times (forward, its rebuild in the backward,
 * ∂L/∂w), 6·(N + T), and passes over its per-sample copy about six times (4 bytes each); the factored
 * form runs the projection of the base and of every task vector forward and in the input gradient,
 * 4·N·(T + 1), and writes no copy. Independent of the batch and the weight's size: both forms scale with them.
 */
export function prefersFactored(tokens: number, tasks: number): boolean {
  const merged = 6 * (tokens + tasks) + 6 * 4 * FLOPS_PER_BYTE;
  const factored = 4 * tokens * (tasks + 1);
  return factored < merged;
}

/**
 * The projection `part` (e.g. `fc1`) of `moe` on x [B, N, in] with routing weights [B, T] and the
 * per-sample merged bias [B, 1, out] (small; none for a module without biases): [B, N, out].
 */
export function factoredProjection(
  moe: MoeModule,
  prefix: string,
  part: string,
  weights: Value,
  x: Value,
  mergedBias: Value | undefined,
): Value {
  const graph = x.graph;
  const base = moe.base.get(`${part}.weight`)!;
  const tv = moe.taskVectors.get(`${part}.weight`)!; // [T, out, in]
  const [t, out, inDim] = tv.shape;
  const rows = graph.constant(
    { dtype: 'F32', shape: [t * out, inDim], data: tv.data },
    `${prefix}task_vectors.rows.${part}.weight`,
  ); // [T·out, in]: the stacked task vectors, the same bytes
  const perTask = linear(x, rows).reshape([0, 0, t, out]); // [B, N, T, out]
  const mixed = perTask.mul(weights.reshape([-1, 1, t, 1])).sum(2); // [B, N, out]
  const shared = linear(x, graph.constant(base, `${prefix}base_model.${part}.weight`), mergedBias); // [B, N, out]
  return shared.add(mixed);
}
