/** The outputs of a training graph: its loss, logits and the gradient of every parameter. */
import { grad } from './autodiff.js';
import type { Value } from './graph.js';

/**
 * The outputs of a training graph whose parameters are all graph inputs (`values`, by name): the loss,
 * the logits, and `grad.<name>` of every parameter; `trained` lists the names in that order.
 */
export function gradientOutputs(
  loss: Value,
  logits: Value,
  values: ReadonlyMap<string, Value>,
): { outputs: Record<string, Value>; trained: string[] } {
  const trained = [...values.keys()];
  const grads = grad(
    loss,
    trained.map((n) => values.get(n)!),
  );
  const outputs: Record<string, Value> = { loss, logits };
  trained.forEach((n, i) => {
    outputs[`grad.${n}`] = grads[i];
  });
  return { outputs, trained };
}
