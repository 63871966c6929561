/** Tensor names of a WEMoE checkpoint (docs/formats.md; FusionBench's module names). */
import type { BlockModule } from '../clip-vision/model.js';
import { layerPrefix } from '../clip-vision/params.js';
import type { RouterDepth } from './config.js';

/** The block modules WEMoE can upscale: the MLP (the paper's method) and the attention (its ablation). */
export const UPSCALABLE_MODULES = ['mlp', 'self_attn'] as const satisfies readonly BlockModule[];
export type UpscaledModule = (typeof UPSCALABLE_MODULES)[number];

/** The merged parameters of each module, under their CLIP names relative to the module. */
export const MODULE_PARTS: Readonly<Record<UpscaledModule, readonly string[]>> = {
  mlp: ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'],
  self_attn: ['q_proj', 'k_proj', 'v_proj', 'out_proj'].flatMap((p) => [`${p}.weight`, `${p}.bias`]),
};

export function modulePrefix(layer: number, module: UpscaledModule): string {
  return `${layerPrefix(layer)}${module}.`;
}

export const baseName = (layer: number, module: UpscaledModule, part: string) =>
  `${modulePrefix(layer, module)}base_model.${part}`;
export const taskVectorName = (layer: number, module: UpscaledModule, t: number, part: string) =>
  `${modulePrefix(layer, module)}task_vectors.${t}.${part}`;

/** Router parameter names and shapes of one module (D = hidden size, T = experts). */
export function routerShapes(
  layer: number,
  module: UpscaledModule,
  depth: RouterDepth,
  d: number,
  t: number,
): Map<string, number[]> {
  return gateShapes(modulePrefix(layer, module), depth, d, t);
}

/** Router parameter names and shapes of the module at `prefix` (any model's): `{prefix}gate.*`. */
export function gateShapes(prefix: string, depth: RouterDepth, d: number, t: number): Map<string, number[]> {
  const g = `${prefix}gate.`;
  if (depth === 0) return new Map([[`${g}weight`, [t]]]);
  if (depth === 1)
    return new Map([
      [`${g}fc.weight`, [t, d]],
      [`${g}fc.bias`, [t]],
    ]);
  return new Map([
    [`${g}fc1.weight`, [d, d]],
    [`${g}fc1.bias`, [d]],
    [`${g}fc2.weight`, [t, d]],
    [`${g}fc2.bias`, [t]],
  ]);
}
