/** The whole WEMoE encoder on the graph: shared (merged) weights as constants, mixture modules, routers. */
import { WemoeError } from '../../errors.js';
import { concat } from '../../graph/functional.js';
import type { Graph, Value } from '../../graph/graph.js';
import { type ClipVisionOutputs, clipVisionForward, constantParams } from '../clip-vision/model.js';
import type { MixtureForm } from './factored-projection.js';
import type { MoeModule, WemoeModel } from './model.js';
import { wemoeModuleParams } from './moe-module.js';
import { modulePrefix, type UpscaledModule } from './names.js';

export interface WemoeGraph extends ClipVisionOutputs {
  /** [L, B, T]: routing weights of every upscaled MLP, in `upscaledLayers` order (absent when none). */
  readonly routingWeights?: Value;
  /** [L, B, T]: the same for the upscaled attention modules (absent when none). */
  readonly attentionRoutingWeights?: Value;
  /** The router parameters as graph inputs by name (empty when they were baked in as constants). */
  readonly routerInputs: ReadonlyMap<string, Value>;
}

export interface WemoeForwardOptions {
  /** The routers as graph inputs (fed each run, differentiable); otherwise constants (default). */
  readonly trainableRouters?: boolean;
  /** How the mixture modules apply their per-sample parameters (default 'auto': chosen from the shapes). */
  readonly mixtureForm?: MixtureForm;
}

/** Builds the encoder on `pixelValues` [B, C, H, W]. */
export function wemoeForward(
  model: WemoeModel,
  pixelValues: Value,
  { trainableRouters = false, mixtureForm }: WemoeForwardOptions = {},
): WemoeGraph {
  const graph: Graph = pixelValues.graph;
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
  const moes = new Map<string, MoeModule>(model.moes.map((m) => [modulePrefix(m.layer, m.module), m]));
  const weightsOf = { mlp: [] as Value[], self_attn: [] as Value[] };
  const outputs = clipVisionForward(model.clip, constantParams(graph, model.shared), pixelValues, {
    moduleParams: (layer, module, x) => {
      const moe = moes.get(modulePrefix(layer, module));
      if (!moe) return undefined;
      const { param, weights } = wemoeModuleParams(moe, model.wemoe, routerValue, x, { form: mixtureForm });
      weightsOf[module].push(weights);
      return param;
    },
  });
  const batch = pixelValues.shape[0];
  const t = model.wemoe.experts.length;
  const stack = (ws: Value[]) =>
    ws.length > 0
      ? concat(
          ws.map((w) => w.expand([batch, t]).reshape([1, batch, t])),
          0,
        )
      : undefined; // [L, B, T]
  return {
    ...outputs,
    routingWeights: stack(weightsOf.mlp),
    attentionRoutingWeights: stack(weightsOf.self_attn),
    routerInputs: trainableRouters ? routerInputs : new Map(),
  };
}

/** The output name of each kind of router's weights [L, B, T] (`wemoe forward`'s file, evaluation). */
export const ROUTING_OUTPUTS = {
  mlp: 'routing_weights',
  self_attn: 'attention_routing_weights',
} as const satisfies Record<UpscaledModule, string>;

/** The routing weights of `out` under their output names, for the kinds of router the model has. */
export function routingOutputs(out: WemoeGraph): Record<string, Value> {
  const outputs: Record<string, Value> = {};
  if (out.routingWeights) outputs[ROUTING_OUTPUTS.mlp] = out.routingWeights;
  if (out.attentionRoutingWeights) outputs[ROUTING_OUTPUTS.self_attn] = out.attentionRoutingWeights;
  return outputs;
}
