/**
 * WEMoE checkpoints (contracts.md): config.json = the CLIP vision config plus a `wemoe` block;
 * model.safetensors = shared tensors under their CLIP names, and per upscaled layer the pre-trained MLP
 * (`mlp.base_model.*`), the task vectors (`mlp.task_vectors.{t}.*`) and the router (`mlp.gate.*`).
 */
import { WemoeError } from '../../errors.js';
import { createCheckpointWriter, openCheckpoint, readConfig, writeConfig } from '../../io/checkpoint.js';
import type { TensorSource } from '../../io/tensor-source.js';
import { numel, shapeString, type Tensor } from '../../tensor/tensor.js';
import { clipVisionConfigJson, parseClipVisionConfig } from '../clip-vision/config.js';
import { type ClipParams, clipParamShapes } from '../clip-vision/params.js';
import { parseWemoeConfig, wemoeConfigJson } from './config.js';
import type { WemoeLayer, WemoeModel } from './model.js';
import { baseName, MLP_PARTS, type MlpPart, mlpPrefix, routerShapes, taskVectorName } from './names.js';

/** Whether the folder's config.json describes a WEMoE model. */
export function isWemoeFolder(dir: string): boolean {
  return typeof readConfig(dir).wemoe === 'object';
}

/** Every stored tensor of the model, in checkpoint order. */
function storedTensors(model: WemoeModel): [string, Tensor][] {
  const out: [string, Tensor][] = [...model.shared];
  const t = model.wemoe.experts.length;
  for (const [layer, moe] of model.layers) {
    for (const part of MLP_PARTS) out.push([baseName(layer, part), moe.base[part]]);
    for (let k = 0; k < t; k++) {
      for (const part of MLP_PARTS) {
        const stacked = moe.taskVectors[part];
        const n = stacked.data.length / t;
        const data = (stacked.data as Float32Array).subarray(k * n, (k + 1) * n);
        out.push([taskVectorName(layer, k, part), { dtype: 'F32', shape: stacked.shape.slice(1), data }]);
      }
    }
    for (const name of routerShapes(layer, model.wemoe.routerDepth, model.clip.hiddenSize, t).keys()) {
      out.push([name, model.routers.get(name)!]);
    }
  }
  return out;
}

/** Writes config.json and the weights (shards above `maxShardBytes`), each atomically. */
export function saveWemoe(dir: string, model: WemoeModel, maxShardBytes?: number): void {
  const tensors = storedTensors(model);
  const entries = tensors.map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape }));
  const sink = createCheckpointWriter(dir, entries, {
    maxShardBytes,
    metadata: { wemoe: 'weight-ensembling-moe' },
  });
  try {
    for (const [name, tensor] of tensors) sink.write(name, tensor);
    sink.finish();
  } catch (error) {
    sink.abort();
    throw error;
  }
  writeConfig(dir, { ...clipVisionConfigJson(model.clip), wemoe: wemoeConfigJson(model.wemoe) });
}

function readChecked(source: TensorSource, name: string, shape: readonly number[]): Tensor {
  if (!source.has(name)) throw new WemoeError(`${source.path}: missing tensor ${name} of the WEMoE model`);
  const stored = source.info(name).shape;
  if (stored.length !== shape.length || stored.some((d, i) => d !== shape[i]))
    throw new WemoeError(
      `${source.path}: tensor ${name} has shape ${shapeString(stored)}, expected ${shapeString(shape)}`,
    );
  return { dtype: 'F32', shape: [...shape], data: source.readF32(name) };
}

function readLayer(
  source: TensorSource,
  layer: number,
  experts: number,
  shapes: Map<string, number[]>,
): WemoeLayer {
  const base = {} as Record<MlpPart, Tensor>;
  const taskVectors = {} as Record<MlpPart, Tensor>;
  for (const part of MLP_PARTS) {
    const shape = shapes.get(`${mlpPrefix(layer)}${part}`)!;
    base[part] = readChecked(source, baseName(layer, part), shape);
    const n = numel(shape);
    const data = new Float32Array(n * experts);
    for (let t = 0; t < experts; t++)
      data.set(readChecked(source, taskVectorName(layer, t, part), shape).data as Float32Array, t * n);
    taskVectors[part] = { dtype: 'F32', shape: [experts, ...shape], data };
  }
  return { base, taskVectors };
}

/** Loads a WEMoE folder, checking every tensor's presence and shape; unexpected tensors are an error. */
export function loadWemoe(dir: string): WemoeModel {
  const json = readConfig(dir);
  const clip = parseClipVisionConfig(json, `${dir}/config.json`);
  const wemoe = parseWemoeConfig(json.wemoe, clip.numHiddenLayers, `${dir}/config.json`);
  const source = openCheckpoint(dir);
  try {
    const shapes = clipParamShapes(clip);
    const upscaled = new Set(wemoe.upscaledLayers);
    const isUpscaledMlp = (name: string) => wemoe.upscaledLayers.some((l) => name.startsWith(mlpPrefix(l)));
    const shared: ClipParams = new Map();
    for (const [name, shape] of shapes)
      if (!isUpscaledMlp(name)) shared.set(name, readChecked(source, name, shape));
    const t = wemoe.experts.length;
    const layers = new Map<number, WemoeLayer>();
    const routers = new Map<string, Tensor>();
    for (const layer of upscaled) {
      layers.set(layer, readLayer(source, layer, t, shapes));
      for (const [name, shape] of routerShapes(layer, wemoe.routerDepth, clip.hiddenSize, t))
        routers.set(name, readChecked(source, name, shape));
    }
    const model: WemoeModel = { clip, wemoe, shared, layers, routers };
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
