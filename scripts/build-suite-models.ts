/**
 * Builds the built-in suite's models with the project's own engine (`npm run build-suite-models`):
 * 1. pretrained/: a tiny CLIP vision encoder pre-trained by contrastive learning (SimCLR) on the pooled
 *    train images of all tasks (no task labels), then by supervised classification of a rendered glyph
 *    corpus whose classes are none of the tasks' (broad labelled data, as a real CLIP's);
 * 2. heads.safetensors: per task a linear head on the frozen pre-trained features;
 * 3. expert-<task>/: per task the whole encoder fine-tuned with its head frozen.
 * Deterministic (seeded); a stage whose outputs exist is skipped unless --force, so an interrupted
 * build resumes. Needs the train splits (`npm run build-suite-data`). Usage: [--force] [--out DIR].
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLIP_MEAN, CLIP_STD } from '../src/data/preprocess/config.js';
import { deriveSeed } from '../src/data/random.js';
import { loadSuiteSplit, type SuiteData, suiteTasks } from '../src/data/suite.js';
import { WemoeError } from '../src/errors.js';
import { writeJsonAtomic } from '../src/io/json-file.js';
import { loadClipVision, saveClipVision } from '../src/models/clip-vision/checkpoint.js';
import type { ClipParams } from '../src/models/clip-vision/params.js';
import { type Heads, loadHeads, saveHeads, type TaskHead } from '../src/models/heads.js';
import {
  suiteExpertDir,
  suiteHeadsPath,
  suiteModelsDir,
  suitePretrainedDir,
} from '../src/models/suite-models.js';
import { requireSystemDependency } from '../src/util/system-deps.js';
import { fineTuneExpert } from './suite-models/experts.js';
import { renderGlyphCorpus } from './suite-models/glyph-corpus.js';
import { featureRunner, poolerFeatures, prototypeHead } from './suite-models/heads.js';
import { pretrainEncoder } from './suite-models/pretrain.js';
import {
  EXPERT,
  GLYPH_CORPUS_SEED,
  HEADS,
  PRETRAIN,
  SEED,
  STORED_DTYPE,
  SUITE_MODEL_CONFIG,
  SUPERVISED_PRETRAIN,
  THREADS,
} from './suite-models/settings.js';
import { pretrainSupervised } from './suite-models/supervised-pretrain.js';

const config = SUITE_MODEL_CONFIG;
const began = performance.now();
const log = (line: string) => {
  const seconds = ((performance.now() - began) / 1000).toFixed(0).padStart(5);
  process.stdout.write(`[build-suite-models ${seconds}s] ${line}\n`);
};

/** CLIP's image processor at 32 pixels (resizing is a no-op on the suite's 32×32 images). */
function writeProcessorConfig(dir: string): void {
  const size = config.imageSize;
  writeJsonAtomic(join(dir, 'preprocessor_config.json'), {
    image_processor_type: 'CLIPImageProcessor',
    do_resize: true,
    size: { shortest_edge: size },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: size, width: size },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: CLIP_MEAN,
    image_std: CLIP_STD,
  });
}

function saveModel(dir: string, params: ClipParams): void {
  mkdirSync(dir, { recursive: true });
  saveClipVision(dir, config, params, { dtype: STORED_DTYPE });
  writeProcessorConfig(dir);
}

const done = (dir: string) => existsSync(join(dir, 'model.safetensors'));

function trainSplits(): SuiteData[] {
  return suiteTasks().map((task) => loadSuiteSplit(task, 'train'));
}

/** Stage 1a: contrastive pre-training on the pooled train images of all tasks (no labels). */
async function contrastiveStage(dir: string, splits: () => SuiteData[]): Promise<void> {
  const all = splits();
  const count = all.reduce((n, s) => n + s.count, 0);
  const pooled = new Uint8Array(count * 3 * 32 * 32);
  let offset = 0;
  for (const split of all) {
    pooled.set(split.images, offset);
    offset += split.images.length;
  }
  log(`pre-training on ${count} pooled train images of ${all.length} tasks (labels unused)`);
  const params = await pretrainEncoder(config, pooled, count, PRETRAIN, {
    seed: deriveSeed(SEED, 1),
    threads: THREADS,
    log,
  });
  saveModel(dir, params);
  log(`wrote ${dir} (removed once the supervised stage is done)`);
}

/**
 * Stage 1 (a: contrastive, kept in `<dir>-contrastive` so an interrupted build resumes after it;
 * b: supervised on the glyph corpus, from the stored F16-rounded contrastive weights).
 */
async function pretrainStage(dir: string, splits: () => SuiteData[], force: boolean): Promise<ClipParams> {
  requireSystemDependency('suite-fonts'); // the glyph corpus needs them, after the long contrastive stage
  const contrastiveDir = `${dir}-contrastive`;
  if (!force && done(contrastiveDir)) log(`contrastive encoder exists, skipped (${contrastiveDir})`);
  else await contrastiveStage(contrastiveDir, splits);
  const corpus = renderGlyphCorpus(SUPERVISED_PRETRAIN.perClass, GLYPH_CORPUS_SEED);
  log(`rendered the glyph corpus: ${corpus.count} images of ${corpus.classes} classes`);
  const start = loadClipVision(contrastiveDir).params;
  const params = await pretrainSupervised(config, start, corpus, SUPERVISED_PRETRAIN, {
    seed: SEED,
    threads: THREADS,
    log,
  });
  saveModel(dir, params);
  rmSync(contrastiveDir, { recursive: true, force: true });
  log(`wrote ${dir}`);
  // Heads and experts start from the stored (F16-rounded) weights that users load.
  return loadClipVision(dir).params;
}

async function headsStage(file: string, pretrained: ClipParams, splits: SuiteData[]): Promise<Heads> {
  const runner = featureRunner(config, pretrained, THREADS);
  const tasks = new Map<string, TaskHead>();
  try {
    for (const split of splits) {
      const count = Math.min(split.count, HEADS.imagesPerTask);
      const features = await poolerFeatures(runner, split.images, count);
      const labels = Array.from(split.labels.subarray(0, count));
      const { head, trainAccuracy } = prototypeHead(features, labels, split.classes, HEADS);
      tasks.set(split.task, head);
      log(`head ${split.task}: ${count} images, train accuracy ${(100 * trainAccuracy).toFixed(1)}%`);
    }
  } finally {
    await runner.dispose();
  }
  const heads: Heads = { kind: 'linear', tasks };
  saveHeads(file, heads);
  log(`wrote ${file}`);
  return heads;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { force: { type: 'boolean' }, out: { type: 'string' } } });
  const root = values.out ?? suiteModelsDir();
  mkdirSync(root, { recursive: true });
  let cached: SuiteData[] | undefined;
  const splits = () => {
    cached ??= trainSplits();
    return cached;
  };
  // A rebuilt stage invalidates every stage after it.
  let rebuild = values.force ?? false;
  const pretrainedDir = suitePretrainedDir(root);
  let pretrained: ClipParams;
  if (!rebuild && done(pretrainedDir)) {
    log(`pre-trained encoder exists, skipped (${pretrainedDir})`);
    pretrained = loadClipVision(pretrainedDir).params;
  } else {
    pretrained = await pretrainStage(pretrainedDir, splits, rebuild);
    rebuild = true;
  }
  const headsFile = suiteHeadsPath(root);
  let heads: Heads;
  if (!rebuild && existsSync(headsFile)) {
    log(`heads exist, skipped (${headsFile})`);
    heads = loadHeads(headsFile, config.hiddenSize);
  } else {
    heads = await headsStage(headsFile, pretrained, splits());
    rebuild = true;
  }
  for (const [t, task] of suiteTasks().entries()) {
    const dir = suiteExpertDir(task, root);
    if (!rebuild && done(dir)) {
      log(`expert ${task} exists, skipped`);
      continue;
    }
    const split = splits()[t];
    const expert = await fineTuneExpert(config, pretrained, heads.tasks.get(task)!, split, EXPERT, {
      seed: deriveSeed(SEED, 100 + t),
      threads: THREADS,
      log,
    });
    saveModel(dir, expert);
    log(`wrote ${dir}`);
  }
  log('done');
}

try {
  await main();
} catch (error) {
  if (!(error instanceof WemoeError)) throw error;
  console.error(`build-suite-models: ${error.message}`);
  process.exitCode = 1;
}
