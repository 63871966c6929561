/**
 * WEMoE T5 checkpoints (docs/formats.md): config.json = the T5 config plus a `wemoe` block;
 * model.safetensors = the merged tensors under their T5 names and, per feed-forward module p
 * (`….DenseReluDense.`), `p.base_model.*`, `p.task_vectors.{t}.*` and the router `p.gate.*` — the
 * names of the CLIP WEMoE checkpoints under the T5 module.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { WemoeError } from '../../errors.js';
import {
  CONFIG_FILE,
  openCheckpoint,
  readConfig,
  writeCheckpoint,
  writeConfig,
} from '../../io/checkpoint.js';
import type { TensorSource } from '../../io/tensor-source.js';
import type { Tensor } from '../../tensor/tensor.js';
import { readChecked, readModulePart } from '../wemoe/checkpoint.js';
import type { MoeModule } from '../wemoe/model.js';
import { gateShapes } from '../wemoe/names.js';
import { parseT5Config, t5ConfigJson } from './config.js';
import { type T5Params, t5ParamShapes } from './params.js';
import { feedForwardSlots, type T5WemoeModel } from './wemoe.js';

const schema = z.strictObject({
  experts: z.array(z.string().min(1)).min(1),
  router_depth: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  init_lambda: z.number(),
  batch_reduce: z.boolean(),
  routing_includes_padding: z.boolean(),
  upscaled_modules: z.tuple([z.literal('feed_forward')]),
});

/** Every stored tensor, in checkpoint order. */
function storedTensors(model: T5WemoeModel): [string, Tensor][] {
  const out: [string, Tensor][] = [...model.shared];
  const t = model.experts.length;
  for (const [prefix, moe] of model.moes) {
    for (const [part, tensor] of moe.base) out.push([`${prefix}base_model.${part}`, tensor]);
    for (let k = 0; k < t; k++) {
      for (const [part, stacked] of moe.taskVectors) {
        const n = stacked.data.length / t;
        const data = (stacked.data as Float32Array).subarray(k * n, (k + 1) * n);
        out.push([
          `${prefix}task_vectors.${k}.${part}`,
          { dtype: 'F32', shape: stacked.shape.slice(1), data },
        ]);
      }
    }
    for (const name of gateShapes(prefix, model.routerDepth, model.t5.dModel, t).keys())
      out.push([name, model.routers.get(name)!]);
  }
  return out;
}

/** Whether `dir` holds a WEMoE T5 model: config.json with a `wemoe` block (its model_type t5 checked on load). */
export function isT5WemoeFolder(dir: string): boolean {
  try {
    return typeof readConfig(dir).wemoe === 'object';
  } catch {
    return false;
  }
}

/** Writes config.json and the weights (F32; shards above `maxShardBytes`), each atomically. */
export function saveT5Wemoe(dir: string, model: T5WemoeModel, maxShardBytes?: number): void {
  const tensors = storedTensors(model);
  const entries = tensors.map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape }));
  const byName = new Map(tensors);
  writeCheckpoint(dir, entries, (name) => byName.get(name)!, {
    maxShardBytes,
    metadata: { wemoe: 'weight-ensembling-moe' },
  });
  const wemoe = {
    experts: model.experts,
    router_depth: model.routerDepth,
    init_lambda: model.initLambda,
    batch_reduce: model.batchReduce,
    routing_includes_padding: model.routingIncludesPadding,
    upscaled_modules: ['feed_forward'],
  };
  writeConfig(dir, { ...t5ConfigJson(model.t5), wemoe });
}

/** The module at `prefix`: its pre-trained parts and the experts' task vectors stacked [T, ...]. */
function readModule(
  source: TensorSource,
  prefix: string,
  block: number,
  experts: number,
  shapes: ReadonlyMap<string, number[]>,
): MoeModule {
  const base = new Map<string, Tensor>();
  const taskVectors = new Map<string, Tensor>();
  for (const [name, shape] of shapes) {
    if (!name.startsWith(prefix)) continue;
    const part = name.slice(prefix.length);
    const read = readModulePart(source, prefix, part, shape, experts);
    base.set(part, read.base);
    taskVectors.set(part, read.taskVectors);
  }
  return { layer: block, module: 'mlp', base, taskVectors };
}

/** Loads a WEMoE T5 folder, checking every tensor's presence and shape; unexpected tensors are an error. */
export function loadT5Wemoe(dir: string): T5WemoeModel {
  const json = readConfig(dir);
  const where = join(dir, CONFIG_FILE);
  const t5 = parseT5Config(json, where);
  const parsed = schema.safeParse(json.wemoe);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WemoeError(`${where}: wemoe.${issue.path.join('.')}: ${issue.message}`);
  }
  const w = parsed.data;
  const t = w.experts.length;
  const shapes = t5ParamShapes(t5);
  const slots = feedForwardSlots(t5);
  const source = openCheckpoint(dir);
  try {
    const shared: T5Params = new Map();
    for (const [name, shape] of shapes)
      if (!slots.some((s) => name.startsWith(s.prefix))) shared.set(name, readChecked(source, name, shape));
    const moes = new Map<string, MoeModule>();
    const routers = new Map<string, Tensor>();
    for (const { block, prefix } of slots) {
      moes.set(prefix, readModule(source, prefix, block, t, shapes));
      for (const [name, shape] of gateShapes(prefix, w.router_depth, t5.dModel, t))
        routers.set(name, readChecked(source, name, shape));
    }
    const model: T5WemoeModel = {
      t5,
      experts: w.experts,
      routerDepth: w.router_depth,
      initLambda: w.init_lambda,
      batchReduce: w.batch_reduce,
      routingIncludesPadding: w.routing_includes_padding,
      shared,
      moes,
      routers,
    };
    const known = new Set(storedTensors(model).map(([name]) => name));
    const unexpected = source.names().filter((n) => !known.has(n));
    if (unexpected.length > 0)
      throw new WemoeError(
        `${source.path}: ${unexpected.length} unexpected tensor(s) for this WEMoE T5 config: ${unexpected.slice(0, 5).join(', ')}`,
      );
    return model;
  } finally {
    source.close();
  }
}
