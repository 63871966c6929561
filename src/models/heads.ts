/**
 * Classification heads (docs/formats.md): heads.safetensors holds one `{task}.weight` [K, E] (and optional
 * `{task}.bias` [K]) per task, `__metadata__.kind` and `__metadata__.classes.{task}` (JSON class names).
 * kind "linear": logits = W·pooler + b (E = hidden size).
 * kind "clip_zeroshot": the file also holds `visual_projection.weight` [E, D] and `logit_scale` [], and
 * logits = exp(logit_scale)·normalize(visual_projection·pooler)·Wᵀ (+ b), W rows = text embeddings.
 */
import { WemoeError } from '../errors.js';
import { openSafetensors } from '../io/safetensors-reader.js';
import { saveSafetensors } from '../io/safetensors-writer.js';
import type { TensorSource } from '../io/tensor-source.js';
import { shapeString, type Tensor } from '../tensor/tensor.js';

export type HeadKind = 'linear' | 'clip_zeroshot';

export interface TaskHead {
  /** [K, E] */
  readonly weight: Tensor;
  /** [K], or absent */
  readonly bias?: Tensor;
  /** K class names, in logit order */
  readonly classes: readonly string[];
}

export interface Heads {
  readonly kind: HeadKind;
  /** Task name → head, in stored order. */
  readonly tasks: ReadonlyMap<string, TaskHead>;
  /** [E, D]; clip_zeroshot only */
  readonly visualProjection?: Tensor;
  /** Natural log of the logit multiplier (CLIP: ln 100); clip_zeroshot only */
  readonly logitScale?: number;
}

const PROJECTION = 'visual_projection.weight';
const LOGIT_SCALE = 'logit_scale';
const RESERVED = new Set([PROJECTION, LOGIT_SCALE]);

function fail(source: string, message: string): never {
  throw new WemoeError(`${source}: ${message}`);
}

function taskOf(name: string, source: string): { task: string; part: 'weight' | 'bias' } {
  const match = /^(.+)\.(weight|bias)$/.exec(name);
  if (!match)
    fail(source, `tensor ${name}: expected {task}.weight, {task}.bias, ${PROJECTION} or ${LOGIT_SCALE}`);
  return { task: match[1], part: match[2] as 'weight' | 'bias' };
}

function parseClasses(metadata: Readonly<Record<string, string>>, task: string, source: string): string[] {
  const raw = metadata[`classes.${task}`];
  if (raw === undefined) fail(source, `__metadata__ has no classes.${task} (JSON list of class names)`);
  let classes: unknown;
  try {
    classes = JSON.parse(raw);
  } catch {
    fail(source, `__metadata__ classes.${task} is not JSON (expected a list of class names)`);
  }
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) {
    fail(source, `__metadata__ classes.${task}: expected a JSON list of strings`);
  }
  return classes;
}

/** Checks shapes and kind-specific tensors; `hiddenSize` (D), when given, must match the heads' input. */
export function validateHeads(heads: Heads, source: string, hiddenSize?: number): void {
  if (heads.kind !== 'linear' && heads.kind !== 'clip_zeroshot') {
    fail(source, `__metadata__.kind ${JSON.stringify(heads.kind)}: expected "linear" or "clip_zeroshot"`);
  }
  if (heads.tasks.size === 0) fail(source, 'no task heads ({task}.weight tensors)');
  const projection = heads.visualProjection;
  if (heads.kind === 'clip_zeroshot') {
    if (projection?.shape.length !== 2) fail(source, `kind clip_zeroshot needs ${PROJECTION} [E, D]`);
    if (heads.logitScale === undefined || !Number.isFinite(heads.logitScale)) {
      fail(source, `kind clip_zeroshot needs a finite ${LOGIT_SCALE} []`);
    }
    if (hiddenSize !== undefined && projection.shape[1] !== hiddenSize) {
      fail(
        source,
        `${PROJECTION} is ${shapeString(projection.shape)}, expected [E, ${hiddenSize}] (D = model hidden size)`,
      );
    }
  } else if (projection || heads.logitScale !== undefined) {
    fail(source, `kind linear must not hold ${PROJECTION} or ${LOGIT_SCALE}`);
  }
  const inputWidth = heads.kind === 'clip_zeroshot' ? projection!.shape[0] : hiddenSize;
  for (const [task, head] of heads.tasks) checkTaskHead(task, head, inputWidth, source);
}

function checkTaskHead(task: string, head: TaskHead, inputWidth: number | undefined, source: string): void {
  if (RESERVED.has(`${task}.weight`) || task === LOGIT_SCALE) fail(source, `task name ${task} is reserved`);
  const [k, e] = head.weight.shape;
  if (head.weight.shape.length !== 2)
    fail(source, `${task}.weight is ${shapeString(head.weight.shape)}, expected [K, E]`);
  if (inputWidth !== undefined && e !== inputWidth) {
    fail(source, `${task}.weight is ${shapeString(head.weight.shape)}, expected [K, ${inputWidth}]`);
  }
  if (head.bias && shapeString(head.bias.shape) !== shapeString([k])) {
    fail(source, `${task}.bias is ${shapeString(head.bias.shape)}, expected [${k}]`);
  }
  if (head.classes.length !== k) {
    fail(source, `classes.${task} has ${head.classes.length} names, expected ${k} (rows of ${task}.weight)`);
  }
}

function f32(source: TensorSource, name: string): Tensor {
  return { dtype: 'F32', shape: source.info(name).shape, data: source.readF32(name) };
}

/** Reads heads from an opened heads.safetensors (or any TensorSource) and validates them. */
export function headsFromSource(source: TensorSource, hiddenSize?: number): Heads {
  const kind = (source.metadata.kind ??
    fail(source.path, '__metadata__ has no kind ("linear" or "clip_zeroshot")')) as HeadKind;
  const parts = new Map<string, { weight?: Tensor; bias?: Tensor }>();
  for (const name of source.names()) {
    if (RESERVED.has(name)) continue;
    const { task, part } = taskOf(name, source.path);
    const entry = parts.get(task) ?? {};
    entry[part] = f32(source, name);
    parts.set(task, entry);
  }
  const tasks = new Map<string, TaskHead>();
  for (const [task, { weight, bias }] of parts) {
    if (!weight) fail(source.path, `${task}.bias has no ${task}.weight`);
    tasks.set(task, { weight, bias, classes: parseClasses(source.metadata, task, source.path) });
  }
  const heads: Heads = {
    kind,
    tasks,
    visualProjection: source.has(PROJECTION) ? f32(source, PROJECTION) : undefined,
    logitScale: source.has(LOGIT_SCALE) ? source.readF32(LOGIT_SCALE)[0] : undefined,
  };
  if (source.has(LOGIT_SCALE) && source.info(LOGIT_SCALE).shape.length !== 0) {
    fail(
      source.path,
      `${LOGIT_SCALE} is ${shapeString(source.info(LOGIT_SCALE).shape)}, expected [] (a scalar)`,
    );
  }
  validateHeads(heads, source.path, hiddenSize);
  return heads;
}

/** The head of one task, or an error listing the tasks there are. */
export function taskHead(heads: Heads, task: string, source = 'heads'): TaskHead {
  const head = heads.tasks.get(task);
  if (!head)
    fail(source, `no head for task ${JSON.stringify(task)}; tasks: ${[...heads.tasks.keys()].join(', ')}`);
  return head;
}

/** The tensors and metadata of heads.safetensors, in the order they are stored. */
export function headsToTensors(heads: Heads): {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
} {
  const tensors = new Map<string, Tensor>();
  const metadata: Record<string, string> = { format: 'pt', kind: heads.kind };
  for (const [task, head] of heads.tasks) {
    tensors.set(`${task}.weight`, head.weight);
    if (head.bias) tensors.set(`${task}.bias`, head.bias);
    metadata[`classes.${task}`] = JSON.stringify(head.classes);
  }
  if (heads.visualProjection) tensors.set(PROJECTION, heads.visualProjection);
  if (heads.logitScale !== undefined) {
    tensors.set(LOGIT_SCALE, { dtype: 'F32', shape: [], data: Float32Array.of(heads.logitScale) });
  }
  return { tensors, metadata };
}

/** Reads and validates heads.safetensors; `hiddenSize` (D) checks that the heads fit the model. */
export function loadHeads(file: string, hiddenSize?: number): Heads {
  const source = openSafetensors(file);
  try {
    return headsFromSource(source, hiddenSize);
  } finally {
    source.close();
  }
}

/** Validates and writes heads.safetensors (via a temporary file). */
export function saveHeads(file: string, heads: Heads): void {
  validateHeads(heads, file);
  const { tensors, metadata } = headsToTensors(heads);
  saveSafetensors(file, Object.fromEntries(tensors), metadata);
}
