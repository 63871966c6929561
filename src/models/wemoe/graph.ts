/** The whole WEMoE encoder on the graph: shared (merged) weights as constants, mixture MLPs, routers. */
import { WemoeError } from '../../errors.js';
import { concat } from '../../graph/functional.js';
import type { Graph, Value } from '../../graph/graph.js';
import { type ClipVisionOutputs, clipVisionForward, constantParams } from '../clip-vision/model.js';
import type { WemoeModel } from './model.js';
import { wemoeMlp } from './moe-mlp.js';

export interface WemoeGraph extends ClipVisionOutputs {
  /** [L, B, T]: routing weights of every upscaled layer, in `upscaledLayers` order (absent when L = 0). */
  readonly routingWeights?: Value;
  /** The router parameters as graph inputs by name (empty when they were baked in as constants). */
  readonly routerInputs: ReadonlyMap<string, Value>;
}

/**
 * Builds the encoder on `pixelValues` [B, C, H, W]. With `trainableRouters` the routers are graph inputs
 * (fed each run, differentiable); otherwise constants.
 */
export function wemoeForward(model: WemoeModel, pixelValues: Value, trainableRouters: boolean): WemoeGraph {
  const graph: Graph = pixelValues.graph;
  const { routerDepth, batchReduce, upscaledLayers } = model.wemoe;
  const routerInputs = new Map<string, Value>();
  const routerValue = (name: string): Value => {
    let v = routerInputs.get(name);
    if (!v) {
      const tensor = model.routers.get(name);
      if (!tensor) throw new WemoeError(`wemoe: the model has no router parameter ${name}`);
      v = trainableRouters ? graph.input(name, 'F32', tensor.shape) : graph.constant(tensor, name);
      routerInputs.set(name, v);
    }
    return v;
  };
  const weightsPerLayer: Value[] = [];
  const outputs = clipVisionForward(model.clip, constantParams(graph, model.shared), pixelValues, {
    mlp: (layer, x, ctx) => {
      const moe = model.layers.get(layer);
      if (!moe) return ctx.standard(x);
      const { output, weights } = wemoeMlp(model.clip, layer, moe, routerDepth, batchReduce, routerValue, x);
      weightsPerLayer.push(weights);
      return output;
    },
  });
  const batch = pixelValues.shape[0];
  const t = model.wemoe.experts.length;
  const perLayer = weightsPerLayer.map((w) => w.expand([batch, t]).reshape([1, batch, t])); // [1, B, T]
  const routingWeights = upscaledLayers.length > 0 ? concat(perLayer, 0) : undefined; // [L, B, T]
  return { ...outputs, routingWeights, routerInputs: trainableRouters ? routerInputs : new Map() };
}
