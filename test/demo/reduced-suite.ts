/**
 * A reduced suite for the demo's tests: a tiny random CLIP encoder (image 32, patch 16, hidden 8,
 * 2 layers), three tasks whose experts are seeded perturbations of it, random linear heads, and small
 * .safetensors test splits (24 images of 3 classes each, a different brightness per task).
 */
import { join } from 'node:path';
import { defaultProcessorConfig } from '../../src/data/preprocess/config.js';
import { createRandom } from '../../src/data/random.js';
import { loadTaskData } from '../../src/data/task-data.js';
import type { DemoSuite } from '../../src/demo/suite.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { saveClipVision } from '../../src/models/clip-vision/checkpoint.js';
import { parseClipVisionConfig } from '../../src/models/clip-vision/config.js';
import { type ClipParams, randomClipParams } from '../../src/models/clip-vision/params.js';
import { type Heads, saveHeads } from '../../src/models/heads.js';
import { float32 } from '../../src/tensor/tensor.js';

export const REDUCED_TASKS = ['dark', 'mid', 'bright'];
const CLASSES = ['a', 'b', 'c'];
const COUNT = 24;
const SIDE = 32;

const config = parseClipVisionConfig({
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  image_size: SIDE,
  patch_size: 16,
});

function perturbed(base: ClipParams, seed: number): ClipParams {
  const random = createRandom(seed);
  return new Map(
    [...base].map(([name, t]) => [
      name,
      { ...t, data: Float32Array.from(t.data as Float32Array, (x) => x + 0.3 * random.normal()) },
    ]),
  );
}

/** Writes `<dir>/<task>.safetensors` in the suite's split format. */
function writeSplit(dir: string, task: string, level: number, seed: number): string {
  const random = createRandom(seed);
  const images = new Uint8Array(COUNT * 3 * SIDE * SIDE);
  for (let i = 0; i < images.length; i++)
    images[i] = Math.min(255, Math.max(0, level + 60 * random.normal()));
  const labels = Uint8Array.from({ length: COUNT }, (_, i) => i % CLASSES.length);
  const path = join(dir, `${task}.safetensors`);
  saveSafetensors(
    path,
    {
      images: { dtype: 'U8', shape: [COUNT, 3, SIDE, SIDE], data: images },
      labels: { dtype: 'U8', shape: [COUNT], data: labels },
    },
    { task, classes: JSON.stringify(CLASSES) },
  );
  return path;
}

export function reducedSuite(dir: string): DemoSuite {
  const pretrained = randomClipParams(config, 1);
  const random = createRandom(2);
  const heads: Heads = {
    kind: 'linear',
    tasks: new Map(
      REDUCED_TASKS.map((task) => [
        task,
        {
          weight: float32(
            [CLASSES.length, config.hiddenSize],
            Array.from({ length: CLASSES.length * config.hiddenSize }, () => random.normal()),
          ),
          classes: CLASSES,
        },
      ]),
    ),
  };
  const processor = defaultProcessorConfig(SIDE);
  return {
    name: 'reduced test suite',
    config,
    pretrained,
    experts: new Map(REDUCED_TASKS.map((task, i) => [task, perturbed(pretrained, 10 + i)])),
    heads,
    tasks: REDUCED_TASKS.map((task, i) =>
      loadTaskData(task, { data: writeSplit(dir, task, 60 + 70 * i, 20 + i), split: 'test' }, processor),
    ),
    taskLabels: { dark: 'Dark' },
  };
}

/** The reduced suite as files: `pretrained/`, `expert-<task>/`, `heads.safetensors`, `<task>.safetensors`. */
export function writeReducedSuiteFiles(dir: string): DemoSuite {
  const suite = reducedSuite(dir);
  saveClipVision(join(dir, 'pretrained'), suite.config, suite.pretrained);
  for (const [task, params] of suite.experts)
    saveClipVision(join(dir, `expert-${task}`), suite.config, params);
  saveHeads(join(dir, 'heads.safetensors'), suite.heads);
  return suite;
}
