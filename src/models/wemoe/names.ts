/** Tensor names of a WEMoE checkpoint (contracts.md; FusionBench's module names). */
import { layerPrefix } from '../clip-vision/params.js';
import type { RouterDepth } from './config.js';

export const MLP_PARTS = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'] as const;
export type MlpPart = (typeof MLP_PARTS)[number];

export function mlpPrefix(layer: number): string {
  return `${layerPrefix(layer)}mlp.`;
}

export const baseName = (layer: number, part: MlpPart) => `${mlpPrefix(layer)}base_model.${part}`;
export const taskVectorName = (layer: number, t: number, part: MlpPart) =>
  `${mlpPrefix(layer)}task_vectors.${t}.${part}`;

/** Router parameter names and shapes of one layer (D = hidden size, T = experts). */
export function routerShapes(layer: number, depth: RouterDepth, d: number, t: number): Map<string, number[]> {
  const g = `${mlpPrefix(layer)}gate.`;
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
