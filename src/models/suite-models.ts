/**
 * Loader of the built-in suite's models (assets/suite/models/, built by `npm run build-suite-models`):
 * a tiny pre-trained CLIP vision encoder (`pretrained/`), one fine-tuned expert per task
 * (`expert-<task>/`, Hugging Face folders) and the tasks' linear heads (`heads.safetensors`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assetsDir, suiteTasks } from '../data/suite.js';
import { WemoeError } from '../errors.js';
import { loadClipVision } from './clip-vision/checkpoint.js';
import type { ClipVisionConfig } from './clip-vision/config.js';
import type { ClipParams } from './clip-vision/params.js';
import { type Heads, loadHeads } from './heads.js';

export interface SuiteModels {
  readonly config: ClipVisionConfig;
  readonly pretrained: ClipParams;
  /** Task → expert encoder, in suiteTasks() order. */
  readonly experts: Map<string, ClipParams>;
  /** Kind 'linear', one head per task. */
  readonly heads: Heads;
}

/** assets/suite/models */
export function suiteModelsDir(): string {
  return join(assetsDir(), 'suite', 'models');
}

export function suitePretrainedDir(root = suiteModelsDir()): string {
  return join(root, 'pretrained');
}

export function suiteExpertDir(task: string, root = suiteModelsDir()): string {
  return join(root, `expert-${task}`);
}

export function suiteHeadsPath(root = suiteModelsDir()): string {
  return join(root, 'heads.safetensors');
}

function requireFile(path: string): void {
  if (!existsSync(path)) {
    throw new WemoeError(`${path}: missing; run \`npm run build-suite-models\` to build the suite's models`);
  }
}

/** Reads the pre-trained encoder, every task's expert and the heads; every file and shape is checked. */
export function loadSuiteModels(root = suiteModelsDir()): SuiteModels {
  const tasks = suiteTasks();
  const pretrainedDir = suitePretrainedDir(root);
  requireFile(join(pretrainedDir, 'config.json'));
  requireFile(suiteHeadsPath(root));
  for (const task of tasks) requireFile(join(suiteExpertDir(task, root), 'config.json'));
  const pretrained = loadClipVision(pretrainedDir);
  const experts = new Map<string, ClipParams>();
  for (const task of tasks) {
    const dir = suiteExpertDir(task, root);
    const expert = loadClipVision(dir);
    if (JSON.stringify(expert.config) !== JSON.stringify(pretrained.config)) {
      throw new WemoeError(
        `${dir}/config.json: differs from the pre-trained model's config (${pretrainedDir})`,
      );
    }
    experts.set(task, expert.params);
  }
  const headsPath = suiteHeadsPath(root);
  const heads = loadHeads(headsPath, pretrained.config.hiddenSize);
  if (heads.kind !== 'linear')
    throw new WemoeError(`${headsPath}: __metadata__.kind is ${heads.kind}, expected linear`);
  for (const task of tasks) {
    if (!heads.tasks.has(task)) throw new WemoeError(`${headsPath}: no head for suite task ${task}`);
  }
  return { config: pretrained.config, pretrained: pretrained.params, experts, heads };
}
