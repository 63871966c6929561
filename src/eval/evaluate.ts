/**
 * Evaluation of one model on labelled tasks: ONE inference graph (weights as constants, the task head as
 * graph inputs, so every task runs through the same compiled session), batches per task, accuracy and
 * mean cross-entropy per task, their average, and for a WEMoE model the mean routing weights.
 */
import type { LabeledImages } from '../data/task-data.js';
import { WemoeError } from '../errors.js';
import { Graph, type Value } from '../graph/index.js';
import type { ClipVisionConfig } from '../models/clip-vision/config.js';
import { clipVisionForward, constantParams } from '../models/clip-vision/model.js';
import { headInputs } from '../models/head-logits.js';
import { type Heads, taskHead, validateHeads } from '../models/heads.js';
import type { VisionModel } from '../models/vision-model.js';
import { ROUTING_OUTPUTS, routingOutputs, wemoeForward } from '../models/wemoe/graph.js';
import type { UpscaledModule } from '../models/wemoe/names.js';
import { type CompiledGraph, compile } from '../runtime/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { createProgress, type ProgressMode } from '../util/progress.js';
import { TaskMetrics } from './metrics.js';
import type { RoutingSummary, TaskScore } from './report-types.js';
import { averageScore, RoutingStats } from './summaries.js';

export interface EvaluateOptions {
  /** Images per forward run (default 128). */
  readonly batchSize?: number;
  /** ONNX Runtime intra-op threads (default: all cores). */
  readonly threads?: number;
  readonly progress?: ProgressMode;
  /** Progress label, e.g. "eval ties". */
  readonly label?: string;
  readonly log?: (line: string) => void;
}

export interface Evaluation {
  /** Accuracy and mean cross-entropy per task, in the order of the tasks given. */
  readonly perTask: Record<string, TaskScore>;
  /** Unweighted mean over the tasks. */
  readonly average: TaskScore;
  /** Mean prediction entropy per task (the test-time objective), in nats. */
  readonly entropy: Record<string, number>;
  /** WEMoE only: mean routing weight per upscaled layer, task and expert, of the MLP routers. */
  readonly routing?: RoutingSummary;
  /** WEMoE with `self_attn` upscaled: the same for the attention routers. */
  readonly attentionRouting?: RoutingSummary;
  /** A WEMoE T5 model: the decoder's feed-forward routers (`routing` holds the encoder's). */
  readonly decoderRouting?: RoutingSummary;
  /** Building and compiling the graph. */
  readonly compileSeconds: number;
  /** Running the batches. */
  readonly runSeconds: number;
}

interface EvalGraph {
  readonly outputs: Record<string, Value>;
  readonly feeds: (task: string) => Record<string, Tensor>;
}

function clipConfigOf(model: VisionModel): ClipVisionConfig {
  return model.kind === 'clip' ? model.config : model.model.clip;
}

function buildGraph(model: VisionModel, heads: Heads): EvalGraph {
  const graph = new Graph();
  const { numChannels: c, imageSize: s } = clipConfigOf(model);
  const pixels = graph.input('pixel_values', 'F32', ['batch', c, s, s]);
  if (model.kind === 'clip') {
    const { poolerOutput } = clipVisionForward(model.config, constantParams(graph, model.params), pixels);
    const { logits, feeds } = headInputs(heads, poolerOutput);
    return { outputs: { logits }, feeds };
  }
  const out = wemoeForward(model.model, pixels);
  const { logits, feeds } = headInputs(heads, out.poolerOutput);
  return { outputs: { logits, ...routingOutputs(out) }, feeds };
}

/** Every task needs a head whose class count matches its data. */
function checkTasks(heads: Heads, tasks: readonly LabeledImages[], hiddenSize: number): void {
  if (tasks.length === 0) throw new WemoeError('evaluate: no tasks to evaluate');
  validateHeads(heads, 'heads', hiddenSize);
  for (const data of tasks) {
    const head = taskHead(heads, data.task);
    if (head.classes.length !== data.classes.length) {
      throw new WemoeError(
        `evaluate: task ${data.task}: the head has ${head.classes.length} classes, the data ${data.classes.length}`,
      );
    }
    if (data.count === 0) throw new WemoeError(`evaluate: task ${data.task} has no samples`);
  }
}

/** The mean routing weights of one kind of router (read from its forward output, [L, B, T]). */
interface RoutedOutput {
  readonly module: UpscaledModule;
  readonly stats: RoutingStats;
}

/** The MLP routers (the paper's routing analysis) and, when upscaled, the attention routers. */
function routingStats(
  model: VisionModel,
  tasks: readonly LabeledImages[],
): Record<UpscaledModule, RoutedOutput | undefined> {
  const none = { mlp: undefined, self_attn: undefined };
  if (model.kind !== 'wemoe') return none;
  const { upscaledLayers, upscaledModules, experts } = model.model.wemoe;
  if (upscaledLayers.length === 0) return none;
  const stats = (module: UpscaledModule) =>
    upscaledModules.includes(module)
      ? {
          module,
          stats: new RoutingStats(
            upscaledLayers,
            experts,
            tasks.map((t) => t.task),
          ),
        }
      : undefined;
  return { mlp: stats('mlp'), self_attn: stats('self_attn') };
}

async function runTask(
  session: CompiledGraph,
  graph: EvalGraph,
  data: LabeledImages,
  batchSize: number,
  routing: readonly RoutedOutput[],
  onBatch: () => void,
): Promise<TaskMetrics> {
  const metrics = new TaskMetrics();
  const headFeeds = graph.feeds(data.task);
  for (let start = 0; start < data.count; start += batchSize) {
    const end = Math.min(data.count, start + batchSize);
    const indices = Array.from({ length: end - start }, (_, i) => start + i);
    const out = await session.run({ pixel_values: await data.pixels(indices), ...headFeeds });
    const logits = out.logits;
    metrics.add(
      logits.data as Float32Array,
      data.labels.subarray(start, end),
      indices.length,
      logits.shape[1],
    );
    for (const r of routing)
      r.stats.add(data.task, out[ROUTING_OUTPUTS[r.module]].data as Float32Array, indices.length);
    onBatch();
  }
  return metrics;
}

/** Accuracy and loss of `model` with `heads` on each task's labelled data. */
export async function evaluateModel(
  model: VisionModel,
  heads: Heads,
  tasks: readonly LabeledImages[],
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const batchSize = options.batchSize ?? 128;
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new WemoeError(`evaluate: batch_size ${batchSize}: expected a positive integer`);
  checkTasks(heads, tasks, clipConfigOf(model).hiddenSize);
  const began = performance.now();
  const graph = buildGraph(model, heads);
  const session = await compile(graph.outputs, { threads: options.threads });
  const compiled = performance.now();
  const routing = routingStats(model, tasks);
  const routed = [routing.mlp, routing.self_attn].filter((r) => r !== undefined);
  const total = tasks.reduce((sum, t) => sum + Math.ceil(t.count / batchSize), 0);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const progress = createProgress(options.progress ?? 'auto', options.label ?? 'eval', total, log, 'batches');
  const perTask: Record<string, TaskScore> = {};
  const entropy: Record<string, number> = {};
  let done = 0;
  try {
    for (const data of tasks) {
      const metrics = await runTask(session, graph, data, batchSize, routed, () =>
        progress.update(++done, data.task),
      );
      const result = metrics.result();
      perTask[data.task] = { accuracy: result.accuracy, loss: result.loss };
      entropy[data.task] = result.entropy;
    }
  } finally {
    progress.stop();
    await session.dispose();
  }
  return {
    perTask,
    average: averageScore(
      perTask,
      tasks.map((t) => t.task),
    ),
    entropy,
    routing: routing.mlp?.stats.summary(),
    attentionRouting: routing.self_attn?.stats.summary(),
    compileSeconds: (compiled - began) / 1000,
    runSeconds: (performance.now() - compiled) / 1000,
  };
}
