/**
 * The graph engine: build a tensor graph, differentiate it, compile it to ONNX Runtime.
 *
 * ```ts
 * const g = new Graph();
 * const x = g.input('x', 'F32', ['batch', 4]);             // run-time input, symbolic batch
 * const w = g.input('w', 'F32', [4, 3]);                  // a trained parameter: fed every step
 * const b = g.constant(float32([3], [0.1, 0.2, 0.3]), 'b'); // frozen: an ONNX initializer
 * const logits = x.matmul(w).add(b);                        // [batch, 3]
 * const loss = meanEntropy(logits);
 * const [dw] = grad(loss, [w]);
 * const step = await compile({ loss, dw });                 // cached ORT session
 * const out = await step.run({ x: float32([2, 4], data), w: float32([4, 3], weights) });
 * out.loss.data[0]; out.dw.shape;                          // [4, 3]
 * ```
 */
export { grad, unbroadcast } from './autodiff.js';
export {
  concat,
  gelu,
  geluTanh,
  layerNorm,
  linear,
  logSoftmax,
  meanEntropy,
  quickGelu,
  rmsNorm,
  softmax,
  where,
} from './functional.js';
export { gradientOutputs, namedGradients } from './gradient-outputs.js';
export { Graph, Node, Value, type ValueSource } from './graph.js';
export { ancestorsInOrder, interpret } from './interpret.js';
export { type EmitOptions, type EmittedModel, type ExternalChunk, emitModel, OPSET } from './onnx/emit.js';
export { OPS, opDef } from './ops/registry.js';
export { fromRef, ref, toRef } from './ref-tensor.js';
export type { Attrs, Dim, GraphDType, OpDef, RefTensor, Shape } from './types.js';
