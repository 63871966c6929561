/** Tiny models on disk for the export tests: a CLIP vision folder, a WEMoE folder (router depth 2), heads. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom } from '../../src/data/random.js';
import { saveClipVision } from '../../src/models/clip-vision/checkpoint.js';
import { parseClipVisionConfig } from '../../src/models/clip-vision/config.js';
import { type ClipParams, randomClipParams } from '../../src/models/clip-vision/params.js';
import { saveHeads } from '../../src/models/heads.js';
import { saveWemoe } from '../../src/models/wemoe/checkpoint.js';
import { upscaleToWemoe } from '../../src/models/wemoe/model.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';

export const config = parseClipVisionConfig({
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  image_size: 8,
  patch_size: 4,
});

function normals(n: number, seed: number, scale = 1): number[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => scale * random.normal());
}

function perturbed(base: ClipParams, seed: number): ClipParams {
  const random = createRandom(seed);
  return new Map(
    [...base].map(([name, t]) => [
      name,
      { ...t, data: Float32Array.from(t.data as Float32Array, (x) => x + 0.3 * random.normal()) },
    ]),
  );
}

/** Class names per task; a task name that is not an identifier checks the output-name mapping. */
export const TASKS = { digits: ['zero', 'one', 'two'], 'house-digits': ['a', 'b', 'c', 'd'] } as const;

export interface Fixture {
  readonly dir: string;
  readonly clip: string;
  readonly wemoe: string;
  readonly heads: string;
}

export function writeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'wemoe-export-'));
  const pretrained = randomClipParams(config, 1);
  const clip = join(dir, 'clip');
  saveClipVision(clip, config, pretrained);
  const experts = new Map([
    ['digits', perturbed(pretrained, 2)],
    ['house-digits', perturbed(pretrained, 3)],
  ]);
  const model = upscaleToWemoe(config, pretrained, experts, { routerDepth: 2, seed: 4 });
  // Routers away from their initial (uniform) output, so that routing differs per sample.
  for (const [name, t] of model.routers)
    model.routers.set(name, float32(t.shape, normals(t.data.length, name.length, 0.5)));
  const wemoe = join(dir, 'wemoe');
  saveWemoe(wemoe, model);
  const heads = join(dir, 'heads.safetensors');
  saveHeads(heads, {
    kind: 'linear',
    tasks: new Map([
      ['digits', { weight: float32([3, 8], normals(24, 5)), classes: [...TASKS.digits] }],
      [
        'house-digits',
        {
          weight: float32([4, 8], normals(32, 6)),
          bias: float32([4], normals(4, 7)),
          classes: [...TASKS['house-digits']],
        },
      ],
    ]),
  });
  return { dir, clip, wemoe, heads };
}

export function randomPixels(batch: number, seed: number): Tensor {
  const s = config.imageSize;
  return float32([batch, 3, s, s], normals(batch * 3 * s * s, seed));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
