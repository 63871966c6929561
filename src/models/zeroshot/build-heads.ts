/**
 * `wemoe heads`: zero-shot classification heads (kind clip_zeroshot) from a full CLIPModel folder, as
 * FusionBench builds them: each class's row is the mean over the templates of the L2-normalised
 * text_embeds of its prompts, L2-normalised again; the file also carries visual_projection and
 * logit_scale so that logits = exp(logit_scale)·normalize(visual_projection·pooler)·Wᵀ.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { WemoeError } from '../../errors.js';
import { openCheckpoint } from '../../io/checkpoint.js';
import type { TensorSource } from '../../io/tensor-source.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { createProgress, type ProgressMode } from '../../util/progress.js';
import { checkClipTextSource, loadClipText } from '../clip-text/checkpoint.js';
import { type ClipTextConfig, readClipTextConfig } from '../clip-text/config.js';
import { ClipTextRunner } from '../clip-text/runner.js';
import { type Heads, saveHeads, type TaskHead } from '../heads.js';
import { type ClipTokenizer, loadClipTokenizer, padIds } from '../tokenizers/clip.js';
import type { HeadsConfig } from './heads-config.js';
import { classPrompts, type ResolvedTaskTexts, resolveTaskTexts } from './task-texts.js';

const PROJECTION = 'visual_projection.weight';
const LOGIT_SCALE = 'logit_scale';

export interface RunHeadsOptions {
  /** Check the config, the model and the texts, print the plan, write nothing. */
  readonly dryRun?: boolean;
  readonly progress?: ProgressMode;
  readonly log?: (line: string) => void;
  readonly threads?: number;
}

export interface HeadsResult {
  readonly plan: readonly string[];
  /** The heads written (absent in a dry run). */
  readonly heads?: Heads;
}

/** visual_projection [E, D] and logit_scale [] of the checkpoint, checked against the text tower's E. */
function readProjection(
  source: TensorSource,
  text: ClipTextConfig,
): { projection: Tensor; logitScale: number } {
  for (const name of [PROJECTION, LOGIT_SCALE]) {
    if (!source.has(name))
      throw new WemoeError(`${source.path}: no ${name}; zero-shot heads need a full CLIPModel checkpoint`);
  }
  const shape = source.info(PROJECTION).shape;
  if (shape.length !== 2 || shape[0] !== text.projectionDim) {
    throw new WemoeError(
      `${source.path}: ${PROJECTION} is ${shapeString(shape)}, expected [${text.projectionDim}, D]`,
    );
  }
  if (source.info(LOGIT_SCALE).shape.length !== 0)
    throw new WemoeError(
      `${source.path}: ${LOGIT_SCALE} is ${shapeString(source.info(LOGIT_SCALE).shape)}, expected []`,
    );
  return {
    projection: { dtype: 'F32', shape, data: source.readF32(PROJECTION) },
    logitScale: source.readF32(LOGIT_SCALE)[0],
  };
}

function normalizeInPlace(v: Float64Array): void {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i] /= norm;
}

/**
 * Rows [K, E] of one task from the text_embeds [K·T, E] of its prompts (class-major): per class, the
 * mean of the normalised embeddings, normalised (in float64, stored as float32).
 */
export function zeroShotRows(
  embeds: Float32Array,
  classes: number,
  templates: number,
  width: number,
): Float32Array {
  const rows = new Float32Array(classes * width);
  const sum = new Float64Array(width);
  const one = new Float64Array(width);
  for (let k = 0; k < classes; k++) {
    sum.fill(0);
    for (let t = 0; t < templates; t++) {
      const at = (k * templates + t) * width;
      for (let e = 0; e < width; e++) one[e] = embeds[at + e];
      normalizeInPlace(one);
      for (let e = 0; e < width; e++) sum[e] += one[e] / templates;
    }
    normalizeInPlace(sum);
    rows.set(sum, k * width);
  }
  return rows;
}

function planLines(
  config: HeadsConfig,
  texts: Map<string, ResolvedTaskTexts>,
  tokenizer: ClipTokenizer,
): string[] {
  const lines = [`model: ${config.model}`, `tokenizer: ${tokenizer.source}`];
  let prompts = 0;
  for (const [task, t] of texts) {
    const n = t.classes.length * t.templates.length;
    prompts += n;
    lines.push(
      `task ${task}: ${t.classes.length} classes (${t.origin.classes}) × ${t.templates.length} templates (${t.origin.templates}) = ${n} prompts`,
    );
  }
  lines.push(`prompts: ${prompts} in batches of ${config.batch_size}`, `output: ${config.output}`);
  return lines;
}

/** text_embeds of every prompt, in batches, all padded to one length (one compiled graph). */
async function embedPrompts(
  runner: ClipTextRunner,
  ids: readonly number[][],
  padId: number,
  config: HeadsConfig,
  options: RunHeadsOptions,
  log: (line: string) => void,
): Promise<Float32Array> {
  const width = runner.config.projectionDim;
  const length = Math.max(...ids.map((row) => row.length));
  const out = new Float32Array(ids.length * width);
  const progress = createProgress(options.progress ?? 'auto', 'heads', ids.length, log, 'prompts');
  for (let start = 0; start < ids.length; start += config.batch_size) {
    const batch = ids.slice(start, start + config.batch_size);
    const padded = padIds(batch, padId, length);
    const result = await runner.forward(padded.inputIds, padded.attentionMask);
    out.set(result.text_embeds.data as Float32Array, start * width);
    progress.update(start + batch.length, '');
  }
  progress.stop();
  return out;
}

/** Builds the heads the config describes and writes them (or, with dryRun, only checks and plans). */
export async function runHeads(config: HeadsConfig, options: RunHeadsOptions = {}): Promise<HeadsResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const where = config.source ?? 'heads config';
  const texts = new Map(
    Object.entries(config.tasks).map(([task, t]) => [task, resolveTaskTexts(task, t, where)]),
  );
  if (texts.size === 0) throw new WemoeError(`${where}: tasks: expected at least one task`);
  const textConfig = readClipTextConfig(config.model);
  const source = openCheckpoint(config.model);
  let projection: { projection: Tensor; logitScale: number };
  try {
    checkClipTextSource(textConfig, source);
    projection = readProjection(source, textConfig);
  } finally {
    source.close();
  }
  const tokenizer = loadClipTokenizer(config.model);
  const plan = planLines(config, texts, tokenizer);
  for (const line of plan) log(line);
  const prompts = [...texts.values()].flatMap((t) => t.classes.flatMap((c) => classPrompts(c, t.templates)));
  const ids = await tokenizer.encode(prompts);
  if (options.dryRun) return { plan };
  const start = performance.now();
  const runner = ClipTextRunner.create(loadClipText(config.model), { threads: options.threads });
  let embeds: Float32Array;
  try {
    embeds = await embedPrompts(runner, ids, tokenizer.padId, config, options, log);
  } finally {
    await runner.dispose();
  }
  const width = textConfig.projectionDim;
  const tasks = new Map<string, TaskHead>();
  let offset = 0;
  for (const [task, t] of texts) {
    const n = t.classes.length * t.templates.length;
    const rows = zeroShotRows(
      embeds.subarray(offset * width, (offset + n) * width),
      t.classes.length,
      t.templates.length,
      width,
    );
    tasks.set(task, {
      weight: { dtype: 'F32', shape: [t.classes.length, width], data: rows },
      classes: t.classes,
    });
    offset += n;
  }
  const heads: Heads = {
    kind: 'clip_zeroshot',
    tasks,
    visualProjection: projection.projection,
    logitScale: projection.logitScale,
  };
  mkdirSync(dirname(config.output), { recursive: true });
  saveHeads(config.output, heads);
  log(`wrote ${config.output} (${tasks.size} tasks) in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return { plan, heads };
}
