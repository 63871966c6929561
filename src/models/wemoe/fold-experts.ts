/**
 * The experts folded into a WEMoE model's stored tensors, for any transformer (CLIP vision, T5): the
 * parameters outside the upscaled modules task-arithmetic merged, and each upscaled module's pre-trained
 * parts with its experts' task vectors stacked [T, ...]. The experts are taken one at a time (a map may
 * read each from its checkpoint when asked): an expert's task vectors go into their rows and its shared
 * parameters into float64 sums, then it is let go, so that at most one expert is held.
 */
import { WemoeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';

/** One upscaled module: the prefix of its parameters and their names after it. */
export interface FoldSlot {
  readonly prefix: string;
  readonly parts: readonly string[];
}

export interface FoldedModule {
  /** The pre-trained parameters, by part. */
  readonly base: Map<string, Tensor>;
  /** θt − θ0 of every expert, by part: [T, ...shape]. */
  readonly taskVectors: Map<string, Tensor>;
}

export interface FoldedExperts {
  /** Every parameter outside the slots' prefixes: θ0 + λ·Σt (θt − θ0). */
  readonly shared: Map<string, Tensor>;
  /** One per slot, in slot order. */
  readonly modules: FoldedModule[];
}

function tensorOf(params: ReadonlyMap<string, Tensor>, name: string, owner: string): Tensor {
  const tensor = params.get(name);
  if (!tensor) throw new WemoeError(`wemoe: ${owner} has no parameter ${name}`);
  return tensor;
}

/**
 * θ0 + λ·(Σt θt − count·θ0) from the float64 sum Σt θt (taken in task order from +0): the operations of
 * taskArithmetic in its order, so the result is identical to it.
 */
function taskArithmeticOfSum(pretrained: Float32Array, sum: Float64Array, count: number, lambda: number) {
  const out = new Float32Array(pretrained.length);
  for (let i = 0; i < out.length; i++) out[i] = pretrained[i] + lambda * (sum[i] - count * pretrained[i]);
  return out;
}

/** Folds `experts` (read in `order`, each once) over `pretrained` for the upscaled `slots`. */
export function foldExperts(
  pretrained: ReadonlyMap<string, Tensor>,
  experts: ReadonlyMap<string, ReadonlyMap<string, Tensor>>,
  options: {
    readonly order: readonly string[];
    readonly slots: readonly FoldSlot[];
    readonly initLambda: number;
  },
): FoldedExperts {
  const { order, slots } = options;
  const modules = slots.map(({ prefix, parts }): FoldedModule => {
    const base = new Map<string, Tensor>();
    const taskVectors = new Map<string, Tensor>();
    for (const part of parts) {
      const pre = tensorOf(pretrained, `${prefix}${part}`, 'the pre-trained model');
      base.set(part, pre);
      const data = new Float32Array(order.length * pre.data.length);
      taskVectors.set(part, { dtype: 'F32', shape: [order.length, ...pre.shape], data });
    }
    return { base, taskVectors };
  });
  const sums = new Map<string, Float64Array>();
  for (const [name, tensor] of pretrained)
    if (!slots.some((s) => name.startsWith(s.prefix))) sums.set(name, new Float64Array(tensor.data.length));
  order.forEach((owner, row) => {
    const params = experts.get(owner);
    if (!params) throw new WemoeError(`wemoe: no expert ${owner}`);
    for (const [name, sum] of sums) {
      const x = tensorOf(params, name, `expert ${owner}`).data as Float32Array;
      for (let i = 0; i < x.length; i++) sum[i] += x[i];
    }
    slots.forEach(({ prefix }, m) => {
      for (const [part, pre] of modules[m].base) {
        const x = tensorOf(params, `${prefix}${part}`, `expert ${owner}`).data as Float32Array;
        const base = pre.data as Float32Array;
        const out = modules[m].taskVectors.get(part)!.data as Float32Array;
        for (let i = 0, o = row * x.length; i < x.length; i++, o++) out[o] = x[i] - base[i];
      }
    });
  });
  const shared = new Map<string, Tensor>();
  for (const [name, sum] of sums) {
    const pre = pretrained.get(name)!;
    const data = taskArithmeticOfSum(pre.data as Float32Array, sum, order.length, options.initLambda);
    shared.set(name, { dtype: 'F32', shape: pre.shape, data });
  }
  return { shared, modules };
}
