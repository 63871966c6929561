/**
 * The inference graph an export holds: the encoder (plain CLIP or WEMoE, routing per sample inside the
 * graph, exactly as `wemoe forward` builds it) with its weights as constants, the visual projection when
 * the checkpoint has one, and one logits output per task head.
 */
import { WemoeError } from '../errors.js';
import { Graph, linear, type Value } from '../graph/index.js';
import type { ClipVisionConfig } from '../models/clip-vision/config.js';
import { clipVisionForward, constantParams } from '../models/clip-vision/model.js';
import { logitsFrom } from '../models/head-logits.js';
import type { Heads } from '../models/heads.js';
import type { VisionModel } from '../models/vision-model.js';
import { routingOutputs, wemoeForward } from '../models/wemoe/graph.js';
import { float32, type Tensor } from '../tensor/tensor.js';

/** A task of the export: its output name (an identifier) and class names in logit order. */
export interface ExportTask {
  readonly name: string;
  readonly output: string;
  readonly classes: readonly string[];
}

export interface ExportGraph {
  readonly config: ClipVisionConfig;
  /** Output name → value; pixel_values ['batch', C, H, W] is the only input. */
  readonly outputs: Record<string, Value>;
  readonly tasks: readonly ExportTask[];
}

/** `logits_<task>` with every character outside [A-Za-z0-9_] as `_`, made unique by a numeric suffix. */
export function taskOutputNames(tasks: readonly string[]): string[] {
  const taken = new Set<string>();
  return tasks.map((task) => {
    const base = `logits_${task.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  });
}

export function buildExportGraph(
  model: VisionModel,
  options: { readonly heads?: Heads; readonly visualProjection?: Tensor },
): ExportGraph {
  const config = model.kind === 'clip' ? model.config : model.model.clip;
  const graph = new Graph();
  const { numChannels: c, imageSize: s } = config;
  const pixels = graph.input('pixel_values', 'F32', ['batch', c, s, s]);
  const outputs: Record<string, Value> = {};
  let pooler: Value;
  if (model.kind === 'clip') {
    const out = clipVisionForward(config, constantParams(graph, model.params), pixels);
    outputs.last_hidden_state = out.lastHiddenState;
    pooler = out.poolerOutput;
    outputs.pooler_output = pooler;
  } else {
    const out = wemoeForward(model.model, pixels);
    outputs.last_hidden_state = out.lastHiddenState;
    pooler = out.poolerOutput;
    outputs.pooler_output = pooler;
    Object.assign(outputs, routingOutputs(out));
  }
  if (options.visualProjection) {
    const projection = options.visualProjection;
    if (projection.shape.length !== 2 || projection.shape[1] !== config.hiddenSize)
      throw new WemoeError(
        `export: visual_projection.weight is [${projection.shape.join(', ')}], expected [E, ${config.hiddenSize}]`,
      );
    outputs.image_embeds = linear(pooler, graph.constant(projection, 'visual_projection.weight')); // [B, E]
  }
  const tasks = options.heads ? addTaskLogits(options.heads, pooler, outputs) : [];
  return { config, outputs, tasks };
}

/**
 * One logits output per task. The heads are stacked into one [ΣK, E] matrix and sliced per task, so that
 * a clip_zeroshot projection is applied once however many tasks there are.
 */
function addTaskLogits(heads: Heads, pooler: Value, outputs: Record<string, Value>): ExportTask[] {
  const names = [...heads.tasks.keys()];
  const outputNames = taskOutputNames(names);
  const all = names.map((task) => heads.tasks.get(task)!);
  const e = all[0].weight.shape[1];
  const k = all.reduce((n, h) => n + h.weight.shape[0], 0);
  const weight = new Float32Array(k * e);
  const bias = new Float32Array(k);
  let row = 0;
  for (const head of all) {
    weight.set(head.weight.data as Float32Array, row * e);
    if (head.bias) bias.set(head.bias.data as Float32Array, row);
    row += head.weight.shape[0];
  }
  const graph = pooler.graph;
  const w = graph.constant(float32([k, e], weight), 'heads.weight'); // [ΣK, E]
  const b = all.some((h) => h.bias) ? graph.constant(float32([k], bias), 'heads.bias') : undefined;
  const logits = logitsFrom(heads, w, b, pooler); // [B, ΣK]
  let start = 0;
  return names.map((task, i) => {
    const classes = all[i].classes;
    outputs[outputNames[i]] = logits.slice(1, start, start + classes.length); // [B, K]
    start += classes.length;
    return { name: task, output: outputNames[i], classes };
  });
}
