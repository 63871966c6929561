/** Reverse-mode autodiff over the IR: gradients are ordinary IR values in the same graph. */
import { WemoeError } from '../errors.js';
import { Node, type Value } from './graph.js';
import { opDef } from './ops/registry.js';
import { sameShape, shapeText } from './shape.js';
import { isFloat, type Shape } from './types.js';

/** Gradients of the scalar `loss` w.r.t. each of `wrt` (zeros where the loss does not depend on it). */
export function grad(loss: Value, wrt: readonly Value[]): Value[] {
  if (loss.rank !== 0 || !isFloat(loss.dtype)) {
    throw new WemoeError(
      `grad: the loss must be a float scalar, got ${loss.dtype} ${shapeText(loss.shape)} (reduce it with sum/mean)`,
    );
  }
  const needed = valuesOnPaths(loss, wrt);
  const grads = new Map<Value, Value>([[loss, loss.graph.scalar(1, loss.dtype)]]);
  const ordered = [...needed].sort((a, b) => b.id - a.id);
  const recomputed = new Map<Value, Value>();
  for (const value of ordered) {
    const g = grads.get(value);
    const node = value.node;
    if (!g || !node) continue;
    backpropagate(node, g, needed, grads, recomputed);
  }
  return wrt.map((w) => grads.get(w) ?? w.graph.scalar(0, w.dtype).expand(w.shape));
}

/**
 * Applies the node's rule and accumulates, unbroadcast, into the inputs that need a gradient. The rule
 * sees recomputed copies of the inputs marked recomputeInBackward.
 */
function backpropagate(
  node: Node,
  g: Value,
  needed: ReadonlySet<Value>,
  grads: Map<Value, Value>,
  recomputed: Map<Value, Value>,
): void {
  const rule = opDef(node.op).grad;
  if (!rule)
    throw new WemoeError(`grad: op ${node.op} has no gradient rule (it lies between the loss and an input)`);
  const ruleNode = node.inputs.some((x) => x.recomputeInBackward)
    ? new Node(
        node.op,
        node.inputs.map((x) => recompute(x, recomputed)),
        node.attrs,
        node.output,
      )
    : node;
  const inputGrads = rule(g, ruleNode);
  node.inputs.forEach((input, i) => {
    const gi = inputGrads[i];
    if (!gi || !needed.has(input) || !isFloat(input.dtype)) return;
    const shaped = unbroadcast(gi, input.shape, node.op);
    const prev = grads.get(input);
    grads.set(input, prev ? prev.add(shaped) : shaped);
  });
}

/** A copy of `v` built anew from its inputs when it is marked recomputeInBackward (one copy per value). */
function recompute(v: Value, recomputed: Map<Value, Value>): Value {
  const node = v.node;
  if (!v.recomputeInBackward || !node) return v;
  let copy = recomputed.get(v);
  if (!copy) {
    const inputs = node.inputs.map((x) => recompute(x, recomputed));
    copy = v.graph.op(node.op, inputs, node.attrs);
    v.graph.hasRecomputedValues = true;
    recomputed.set(v, copy);
  }
  return copy;
}

/** Sums a gradient in a broadcast shape back to the input's shape (the one place broadcasting is undone). */
export function unbroadcast(g: Value, shape: Shape, op: string): Value {
  if (sameShape(g.shape, shape)) return g;
  const extra = g.rank - shape.length;
  if (extra < 0) return g.expand(shape);
  let out = extra > 0 ? g.sum([...Array(extra).keys()]) : g;
  const ones = shape.flatMap((d, i) => (d === 1 && out.shape[i] !== 1 ? [i] : []));
  if (ones.length > 0) out = out.sum(ones, true);
  const compatible = out.shape.every(
    (d, i) => d === shape[i] || typeof d === 'string' || typeof shape[i] === 'string',
  );
  if (!compatible)
    throw new WemoeError(
      `grad: ${op} gave a gradient ${shapeText(g.shape)} for an input ${shapeText(shape)}`,
    );
  return out;
}

/** Values that lie on some path from one of `wrt` to `loss` (those that need a gradient). */
function valuesOnPaths(loss: Value, wrt: readonly Value[]): Set<Value> {
  const ancestors = new Set<Value>();
  const stack = [loss];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (ancestors.has(v)) continue;
    ancestors.add(v);
    for (const x of v.node?.inputs ?? []) stack.push(x);
  }
  const reaches = new Set<Value>(wrt.filter((w) => ancestors.has(w)));
  const inOrder = [...ancestors].sort((a, b) => a.id - b.id);
  for (const v of inOrder) {
    if (v.node?.inputs.some((x) => reaches.has(x))) reaches.add(v);
  }
  return reaches;
}
