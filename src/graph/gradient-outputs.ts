/** The outputs of a training or adaptation graph: its loss (and logits) and the gradient of every parameter. */
import { grad } from './autodiff.js';
import type { Value } from './graph.js';

/**
 * `${prefix}${name}` → the gradient of `loss` for each parameter in `values` (graph inputs, by name), in
 * the map's order.
 */
export function namedGradients(
  loss: Value,
  values: ReadonlyMap<string, Value>,
  prefix: string,
): Record<string, Value> {
  const names = [...values.keys()];
  const grads = grad(
    loss,
    names.map((n) => values.get(n)!),
  );
  return Object.fromEntries(names.map((n, i) => [`${prefix}${n}`, grads[i]]));
}

/**
 * The outputs of a training graph whose parameters are all graph inputs (`values`, by name): the loss,
 * the logits, and `grad.<name>` of every parameter; `trained` lists the names in that order.
 */
export function gradientOutputs(
  loss: Value,
  logits: Value,
  values: ReadonlyMap<string, Value>,
): { outputs: Record<string, Value>; trained: string[] } {
  return { outputs: { loss, logits, ...namedGradients(loss, values, 'grad.') }, trained: [...values.keys()] };
}
