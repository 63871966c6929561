/**
 * WEMoE checkpoints (docs/formats.md): config.json = the CLIP vision config plus a `wemoe` block;
 * model.safetensors = shared tensors under their CLIP names, and per upscaled module (`mlp`, and
 * `self_attn` when the attention is upscaled too) the pre-trained weights (`mlp.base_model.*`), the task
 * vectors (`mlp.task_vectors.{t}.*`) and the router (`mlp.gate.*`).
 */
import { WemoeError } from '../../errors.js';
import { openCheckpoint, readConfig, writeCheckpoint, writeConfig } from '../../io/checkpoint.js';
import type { TensorSource } from '../../io/tensor-source.js';
import { numel, shapeString, type Tensor } from '../../tensor/tensor.js';
import { clipVisionConfigJson, parseClipVisionConfig } from '../clip-vision/config.js';
import { type ClipParams, clipParamShapes } from '../clip-vision/params.js';
import { parseWemoeConfig, wemoeConfigJson } from './config.js';
import { allRouterShapes, isUpscaledParam, type MoeModule, moduleSlots, type WemoeModel } from './model.js';
import {
  baseName,
  MODULE_PARTS,
  modulePrefix,
  routerShapes,
  taskVectorName,
  type UpscaledModule,
} from './names.js';

/** Whether the folder's config.json describes a WEMoE model. */
export function isWemoeFolder(dir: string): boolean {
  return typeof readConfig(dir).wemoe === 'object';
}

/** Every stored tensor of the model, in checkpoint order. */
function storedTensors(model: WemoeModel): [string, Tensor][] {
  const out: [string, Tensor][] = [...model.shared];
  const t = model.wemoe.experts.length;
  for (const moe of model.moes) {
    const { layer, module } = moe;
    for (const [part, tensor] of moe.base) out.push([baseName(layer, module, part), tensor]);
    for (let k = 0; k < t; k++) {
      for (const [part, stacked] of moe.taskVectors) {
        const n = stacked.data.length / t;
        const data = (stacked.data as Float32Array).subarray(k * n, (k + 1) * n);
        out.push([
          taskVectorName(layer, module, k, part),
          { dtype: 'F32', shape: stacked.shape.slice(1), data },
        ]);
      }
    }
    for (const name of routerShapes(
      layer,
      module,
      model.wemoe.routerDepth,
      model.clip.hiddenSize,
      t,
    ).keys()) {
      out.push([name, model.routers.get(name)!]);
    }
  }
  return out;
}

/** Writes config.json and the weights (shards above `maxShardBytes`), each atomically. */
export function saveWemoe(dir: string, model: WemoeModel, maxShardBytes?: number): void {
  const tensors = storedTensors(model);
  const entries = tensors.map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape }));
  const byName = new Map(tensors);
  writeCheckpoint(dir, entries, (name) => byName.get(name)!, {
    maxShardBytes,
    metadata: { wemoe: 'weight-ensembling-moe' },
  });
  writeConfig(dir, { ...clipVisionConfigJson(model.clip), wemoe: wemoeConfigJson(model.wemoe) });
}

/** Tensor `name` as F32, after checking that it is there with `shape`. */
export function readChecked(source: TensorSource, name: string, shape: readonly number[]): Tensor {
  if (!source.has(name)) throw new WemoeError(`${source.path}: missing tensor ${name} of the WEMoE model`);
  const stored = source.info(name).shape;
  if (stored.length !== shape.length || stored.some((d, i) => d !== shape[i]))
    throw new WemoeError(
      `${source.path}: tensor ${name} has shape ${shapeString(stored)}, expected ${shapeString(shape)}`,
    );
  return { dtype: 'F32', shape: [...shape], data: source.readF32(name) };
}

/**
 * One part of an upscaled module stored under `prefix` (FusionBench's names): its pre-trained tensor
 * (`base_model.<part>`) and the experts' task vectors (`task_vectors.<t>.<part>`) stacked [T, ...shape].
 */
export function readModulePart(
  source: TensorSource,
  prefix: string,
  part: string,
  shape: readonly number[],
  experts: number,
): { base: Tensor; taskVectors: Tensor } {
  const base = readChecked(source, `${prefix}base_model.${part}`, shape);
  const n = numel(shape);
  const data = new Float32Array(n * experts);
  for (let t = 0; t < experts; t++)
    data.set(readChecked(source, `${prefix}task_vectors.${t}.${part}`, shape).data as Float32Array, t * n);
  return { base, taskVectors: { dtype: 'F32', shape: [experts, ...shape], data } };
}

function readModule(
  source: TensorSource,
  layer: number,
  module: UpscaledModule,
  experts: number,
  shapes: Map<string, number[]>,
): MoeModule {
  const base = new Map<string, Tensor>();
  const taskVectors = new Map<string, Tensor>();
  for (const part of MODULE_PARTS[module]) {
    const prefix = modulePrefix(layer, module);
    const read = readModulePart(source, prefix, part, shapes.get(`${prefix}${part}`)!, experts);
    base.set(part, read.base);
    taskVectors.set(part, read.taskVectors);
  }
  return { layer, module, base, taskVectors };
}

/** Loads a WEMoE folder, checking every tensor's presence and shape; unexpected tensors are an error. */
export function loadWemoe(dir: string): WemoeModel {
  const json = readConfig(dir);
  const clip = parseClipVisionConfig(json, `${dir}/config.json`);
  const wemoe = parseWemoeConfig(json.wemoe, clip.numHiddenLayers, `${dir}/config.json`);
  const source = openCheckpoint(dir);
  try {
    const shapes = clipParamShapes(clip);
    const shared: ClipParams = new Map();
    for (const [name, shape] of shapes)
      if (!isUpscaledParam(name, wemoe)) shared.set(name, readChecked(source, name, shape));
    const t = wemoe.experts.length;
    const moes = moduleSlots(wemoe).map(({ layer, module }) => readModule(source, layer, module, t, shapes));
    const routers = new Map<string, Tensor>();
    for (const [name, shape] of allRouterShapes(clip, wemoe))
      routers.set(name, readChecked(source, name, shape));
    const model: WemoeModel = { clip, wemoe, shared, moes, routers };
    const known = new Set(storedTensors(model).map(([name]) => name));
    const unexpected = source.names().filter((n) => !known.has(n));
    if (unexpected.length > 0)
      throw new WemoeError(
        `${source.path}: ${unexpected.length} unexpected tensor(s) for this WEMoE config: ${unexpected.slice(0, 5).join(', ')}`,
      );
    return model;
  } finally {
    source.close();
  }
}
