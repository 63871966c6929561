/**
 * One step of a training graph built by gradientOutputs (graph/gradient-outputs.ts): every trained
 * parameter fed by name, the loss, the logits and each parameter's gradient (`grad.<name>`) read back.
 * CLIP's and T5's training steps run through it.
 */
import { WemoeError } from '../errors.js';
import type { CompiledGraph } from '../runtime/index.js';
import type { Tensor } from '../tensor/tensor.js';

export interface TrainingStepResult {
  readonly loss: number;
  readonly logits: Tensor;
  /** Parameter name → gradient of the loss. */
  readonly grads: Record<string, Tensor>;
}

/** Runs `compiled` on `feeds` plus the parameters `trained` names (looked up by `param`); `where` names the caller in errors. */
export async function runTrainingStep(
  compiled: CompiledGraph,
  trained: readonly string[],
  feeds: Readonly<Record<string, Tensor>>,
  param: (name: string) => Tensor | undefined,
  where: string,
): Promise<TrainingStepResult> {
  const all: Record<string, Tensor> = { ...feeds };
  for (const name of trained) {
    const t = param(name);
    if (!t) throw new WemoeError(`${where}: no parameter ${name}`);
    all[name] = t;
  }
  const out = await compiled.run(all);
  const grads: Record<string, Tensor> = {};
  for (const name of trained) grads[name] = out[`grad.${name}`];
  return { loss: out.loss.data[0] as number, logits: out.logits, grads };
}
