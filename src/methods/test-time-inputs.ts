/**
 * What the test-time methods read from a merge config: the models, the heads and each task's unlabeled
 * data (CLIP), or the models and each task's prompts (T5, t5-test-time-inputs.ts).
 */
import type { ClipTestTimeInputs, TestTimeInputs } from '../adapt/test-time-method.js';
import { loadProcessorConfig } from '../data/preprocess/config.js';
import { openTaskData } from '../data/task-data.js';
import { WemoeError } from '../errors.js';
import { loadClipVision } from '../models/clip-vision/checkpoint.js';
import { readClipVisionConfig } from '../models/clip-vision/config.js';
import { loadHeads } from '../models/heads.js';
import { isT5Folder } from '../models/t5/forward-file.js';
import { ExpertCheckpoints } from './expert-checkpoints.js';
import type { MergeConfig } from './resolved-config.js';
import { loadT5TestTimeInputs } from './t5-test-time-inputs.js';

/** Loads the config's models and tasks' data (and heads, for CLIP) for test-time method `method`. */
export function loadTestTimeInputs(config: MergeConfig, method: string): Promise<TestTimeInputs> {
  return isT5Folder(config.models.pretrained)
    ? loadT5TestTimeInputs(config, method)
    : loadClipTestTimeInputs(config, method);
}

/** The CLIP inputs: models, heads, each task's images (named in errors by `method`). */
export async function loadClipTestTimeInputs(
  config: MergeConfig,
  method: string,
): Promise<ClipTestTimeInputs> {
  const where = config.source ?? 'merge config';
  if (!config.heads)
    throw new WemoeError(`${where}: heads: method ${method} needs the tasks' classification heads`);
  const base = loadClipVision(config.models.pretrained);
  for (const dir of Object.values(config.models.experts)) {
    if (JSON.stringify(readClipVisionConfig(dir)) !== JSON.stringify(base.config))
      throw new WemoeError(
        `${dir}: config.json differs from the pre-trained model's (${config.models.pretrained})`,
      );
  }
  const experts = new ExpertCheckpoints(config.models.experts, (dir) => loadClipVision(dir).params);
  const heads = loadHeads(config.heads, base.config.hiddenSize);
  const processor = loadProcessorConfig(config.models.pretrained, base.config.imageSize);
  const tasks = [];
  for (const name of Object.keys(config.models.experts)) {
    const spec = config.tasks?.[name];
    if (!spec)
      throw new WemoeError(
        `${where}: tasks.${name}: method ${method} needs the unlabeled data of every expert's task`,
      );
    if (!heads.tasks.has(name)) throw new WemoeError(`${config.heads}: no head for task ${name}`);
    tasks.push(await openTaskData(name, spec, processor));
  }
  return {
    clip: base.config,
    pretrained: base.params,
    experts,
    heads,
    tasks: tasks.map((t) => ({ name: t.task, count: t.count, pixels: (i) => t.pixels(i) })),
    seed: config.seed,
  };
}
