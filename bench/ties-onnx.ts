/**
 * The ONNX Runtime variant of Ties' merge pass (merge_func sum), measured beside the typed-array loops
 * (src/merge/ties-entries.ts) by the merge bench: the same maths as one graph per tensor length, built
 * with the project's graph IR and run multi-threaded. τt = θt − θ0 in float32; kept where |τt| ≥
 * thresholds[t] (as ¬(τt < t ∧ τt > −t)); total, positive and negative sums in float64 in task order
 * (trimmed entries add +0, which changes no such sum); θ0 + λ·(positive or negative) rounded to float32.
 */
import { Graph, where } from '../src/graph/index.js';
import { compile } from '../src/runtime/index.js';

/** The compiled graph: inputs pretrained, expert0 … expert{T−1} (float32 [n]); output merged. */
export function onnxTiesMerge(tasks: number, thresholds: Float64Array, lambda: number, tie: -1 | 0 | 1) {
  const g = new Graph();
  const pretrained = g.input('pretrained', 'F32', ['n']);
  const experts = Array.from({ length: tasks }, (_, t) => g.input(`expert${t}`, 'F32', ['n']));
  const zero = g.scalar(0, 'F64');
  let total = zero;
  let positive = zero;
  let negative = zero;
  experts.forEach((expert, t) => {
    const tau = expert.sub(pretrained);
    const threshold = g.scalar(thresholds[t], 'F32');
    const small = where(threshold.gt(tau), where(tau.gt(threshold.neg()), 0, tau), tau).cast('F64');
    total = total.add(small);
    positive = positive.add(where(small.gt(0), small, 0));
    negative = negative.add(where(zero.gt(small), small, 0));
  });
  const up = tie > 0 ? where(zero.gt(total), negative, positive) : where(total.gt(0), positive, negative);
  const merged = pretrained.cast('F64').add(up.mul(lambda)).cast('F32');
  return compile({ merged });
}
