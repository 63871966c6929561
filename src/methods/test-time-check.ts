/**
 * `wemoe merge --dry-run` of a test-time method: checks every input the run will read, without loading
 * the weights (checkpoint headers: names, shapes, dtypes; the heads; each task's data: metadata and
 * labels; T5: each task's rows, template and prompts' tokens), then prints what a step and the whole run
 * should cost (estimate.ts).
 */
import { availableParallelism } from 'node:os';
import type { TestTimeMethod } from '../adapt/test-time-method.js';
import { loadProcessorConfig } from '../data/preprocess/config.js';
import { openTaskData } from '../data/task-data.js';
import { WemoeError } from '../errors.js';
import { planMerge } from '../merge/plan.js';
import { readClipVisionConfig } from '../models/clip-vision/config.js';
import { loadHeads, taskHead } from '../models/heads.js';
import { readT5Config } from '../models/t5/config.js';
import { isT5Folder } from '../models/t5/forward-file.js';
import { formatPrompt } from '../models/t5/glue.js';
import { T5Tokenizer } from '../models/tokenizers/t5.js';
import { estimateRun, estimateT5Run, type RunEstimate } from './estimate.js';
import { closeSources, openSources } from './merge-sources.js';
import type { MergeConfig } from './resolved-config.js';
import { readConfigTextTask } from './t5-test-time-inputs.js';

const GB = 1e9;

function hours(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${(seconds / 60).toFixed(0)} min`;
}

/** Checks the run's inputs; returns the plan lines to print (what was checked, the estimate). */
export async function checkTestTimeRun(config: MergeConfig, method: TestTimeMethod): Promise<string[]> {
  const lines: string[] = [];
  const sources = openSources(config);
  try {
    const plan = planMerge(sources);
    lines.push(
      `checked: ${plan.tasks.length + 1} checkpoints agree (${plan.tensors.length} tensors, shapes and dtypes)` +
        (sources.passThrough.length > 0
          ? `; ${sources.passThrough.length} CLIPModel tensors beside the vision tower pass through`
          : ''),
    );
  } finally {
    closeSources(sources);
  }
  const rest = isT5Folder(config.models.pretrained)
    ? await checkT5Tasks(config, method)
    : await checkClipTasks(config, method);
  return [...lines, ...rest];
}

/** Rough cost of the run for the dry-run's last line. */
function estimateLine(estimate: RunEstimate, steps: number, threads: number, calibration: string): string {
  return (
    `estimate (±30%, from the model size, ${calibration}): ` +
    `${estimate.secondsPerStep.toFixed(1)} s per adaptation step on ${threads} cores, ` +
    `${hours(estimate.secondsPerStep * steps)} for ${steps} steps; ` +
    `peak memory ${(estimate.peakBytes / GB).toFixed(1)} GB ` +
    `(the experts take ${(estimate.expertBytes / GB).toFixed(1)} GB in float32 while the model is built, ` +
    `${estimate.expertsDuringSteps ? 'and through the steps' : 'none during the steps'})`
  );
}

interface RunParams {
  readonly steps: number;
  readonly batch_size: number;
  readonly batch_reduce?: boolean;
  readonly upscaled_modules?: string[];
}

/** Each expert's text task: its rows read and posed, its prompts tokenized (for their mean length). */
async function checkT5Tasks(config: MergeConfig, method: TestTimeMethod): Promise<string[]> {
  const lines: string[] = [];
  const t5 = readT5Config(config.models.pretrained);
  const tokenizer = T5Tokenizer.load(config.models.pretrained, { padTokenId: t5.padTokenId });
  let tokens = 0;
  let prompts = 0;
  for (const name of Object.keys(config.models.experts)) {
    const { spec, task, rows } = await readConfigTextTask(config, name, method.name);
    const ids = await tokenizer.encode(rows.map((row) => formatPrompt(task.template, row)));
    tokens += ids.reduce((n, row) => n + row.length, 0);
    prompts += ids.length;
    lines.push(`checked: task ${name}: ${rows.length} prompts (${spec.data})`);
  }
  const p = config.parameters as unknown as RunParams;
  const threads = availableParallelism();
  const estimate = estimateT5Run({
    t5,
    tokens: tokens / prompts,
    experts: Object.keys(config.models.experts).length,
    batch: p.batch_size,
    steps: p.steps,
    threads,
    wemoe: method.name === 'wemoe',
    batchReduce: p.batch_reduce,
  });
  lines.push(estimateLine(estimate, p.steps, threads, 'calibrated on a measured ViT-B/32 step, not on T5'));
  return lines;
}

/** The heads, and each task's images against its head. */
async function checkClipTasks(config: MergeConfig, method: TestTimeMethod): Promise<string[]> {
  const where = config.source ?? 'merge config';
  const lines: string[] = [];
  const clip = readClipVisionConfig(config.models.pretrained);
  if (!config.heads)
    throw new WemoeError(`${where}: heads: method ${method.name} needs the tasks' classification heads`);
  const heads = loadHeads(config.heads, clip.hiddenSize);
  const processor = loadProcessorConfig(config.models.pretrained, clip.imageSize);
  const tasks = [...Object.keys(config.models.experts), ...(config.unseen_tasks ?? [])];
  for (const task of tasks) {
    const spec = config.tasks?.[task];
    if (!spec)
      throw new WemoeError(`${where}: tasks.${task}: method ${method.name} needs the data of every task`);
    const head = taskHead(heads, task, config.heads);
    const data = await openTaskData(task, spec, processor);
    if (data.classes.length !== head.classes.length)
      throw new WemoeError(
        `${where}: tasks.${task}: the data have ${data.classes.length} classes, the head ${head.classes.length}`,
      );
    lines.push(`checked: task ${task}: ${data.count} images, ${data.classes.length} classes (${spec.data})`);
  }
  const p = config.parameters as unknown as RunParams;
  const threads = availableParallelism();
  const estimate = estimateRun({
    clip,
    experts: Object.keys(config.models.experts).length,
    batch: p.batch_size,
    steps: p.steps,
    threads,
    upscaled: method.name === 'wemoe' ? (p.upscaled_modules ?? ['mlp']) : undefined,
    batchReduce: p.batch_reduce,
  });
  lines.push(estimateLine(estimate, p.steps, threads, 'calibrated on a measured ViT-B/32 step'));
  return lines;
}
