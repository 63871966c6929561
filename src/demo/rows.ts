/**
 * The rows of the paper's Table 2 as data: the reference rows (pre-trained, individual experts), then each
 * merge method of the registry with the parameters the demo gives it. Test-time methods also get the
 * budget's adaptation settings (budget.ts); run-row.ts runs any row.
 */

interface RowInfo {
  /** Id in report.json and for --methods. */
  readonly id: string;
  readonly label: string;
  /** Runs only when --methods names it (an ablation beside the paper's table). */
  readonly onRequest?: boolean;
  /** What the row is, when its label does not say (a line under the report's settings). */
  readonly note?: string;
}

/** A merge method of the registry (methods/registry.ts) with its parameters. */
export interface MethodRow extends RowInfo {
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A reference row: the pre-trained model on every task, or each expert on its own task. */
export interface ReferenceRow extends RowInfo {
  readonly reference: 'pretrained' | 'individual';
}

export type DemoRow = MethodRow | ReferenceRow;

/** The initial merging coefficient λ of task arithmetic, Ties, AdaMerging and WEMoE (the paper's 0.3). */
const LAMBDA = 0.3;
/** DARE's drop rate p: 0.5, the common default (mergekit's density 0.5, this project's default). */
const DARE_DROP_RATE = 0.5;

const ADAMERGING_CLAMP_NOTE =
  "λ clamped to [0, 1] inside the merge, in the forward (clamp: merge, the authors' code).";

/** The rows of the paper's Table 2, in its order, then WEMoE's variants (`onRequest` ones only when named). */
export const DEMO_ROWS: readonly DemoRow[] = [
  { id: 'pretrained', label: 'Pre-trained', reference: 'pretrained' },
  { id: 'individual', label: 'Individual', reference: 'individual' },
  { id: 'weight_averaging', label: 'Weight averaging', method: 'simple_average', params: {} },
  {
    id: 'task_arithmetic',
    label: 'Task arithmetic',
    method: 'task_arithmetic',
    params: { scaling_factor: LAMBDA },
  },
  {
    id: 'ties',
    label: 'Ties-Merging',
    method: 'ties',
    params: { scaling_factor: LAMBDA, threshold: 20, merge_func: 'sum' },
  },
  {
    id: 'dare_ties',
    label: 'DARE-Ties',
    method: 'dare',
    params: { drop_rate: DARE_DROP_RATE, merge: 'ties', scaling_factor: LAMBDA, threshold: 20 },
    note: `drop rate p = ${DARE_DROP_RATE} (the common default), then Ties with k = 20, λ = ${LAMBDA}.`,
  },
  {
    id: 'adamerging_task',
    label: 'AdaMerging (task-wise)',
    method: 'adamerging',
    params: { granularity: 'task', init: LAMBDA, clamp: 'merge' },
    note: ADAMERGING_CLAMP_NOTE,
  },
  {
    id: 'adamerging_layer',
    label: 'AdaMerging (layer-wise)',
    method: 'adamerging',
    params: { granularity: 'layer', init: LAMBDA, clamp: 'merge' },
    note: ADAMERGING_CLAMP_NOTE,
  },
  ...([0, 1, 2] as const).map(
    (depth): MethodRow => ({
      id: `wemoe_depth${depth}`,
      label: `WEMoE (depth ${depth})`,
      method: 'wemoe',
      params: { router_depth: depth, init_lambda: LAMBDA },
    }),
  ),
  {
    id: 'wemoe_depth2_attention',
    label: 'WEMoE (depth 2, + attention)',
    method: 'wemoe',
    params: { router_depth: 2, init_lambda: LAMBDA, upscaled_modules: ['mlp', 'self_attn'] },
    onRequest: true,
    note: "every block's attention is a mixture too, with its own router (the paper's ablation).",
  },
  {
    // FusionBench's default (batch_reduce: true). The demo's batches hold one task each, in adaptation
    // and evaluation alike.
    id: 'wemoe_depth2_batch_reduce',
    label: 'WEMoE (depth 2, batch-reduced)',
    method: 'wemoe',
    params: { router_depth: 2, init_lambda: LAMBDA, batch_reduce: true },
    note:
      "one routing per batch, the mean of its images' routing weights (FusionBench's default); every batch " +
      'here holds one task. The paper, and the other WEMoE rows, route each image.',
  },
];
