/** A tiny CLIP encoder with a few "experts" (the pre-trained weights plus seeded perturbations), for WEMoE tests. */

import { createRandom } from '../../../src/data/random.js';
import { Graph } from '../../../src/graph/graph.js';
import { parseClipVisionConfig } from '../../../src/models/clip-vision/config.js';
import { clipVisionForward, constantParams } from '../../../src/models/clip-vision/model.js';
import { type ClipParams, randomClipParams } from '../../../src/models/clip-vision/params.js';
import { compile } from '../../../src/runtime/compile.js';
import { float32, type Tensor } from '../../../src/tensor/tensor.js';

export const tinyConfig = parseClipVisionConfig({
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  image_size: 4,
  patch_size: 2,
});

export const pretrained = randomClipParams(tinyConfig, 1);

/** pretrained + scale·noise, every tensor perturbed. */
export function perturbed(seed: number, scale = 0.2): ClipParams {
  const random = createRandom(seed);
  const out: ClipParams = new Map();
  for (const [name, t] of pretrained) {
    const data = Float32Array.from(t.data as Float32Array, (x) => x + scale * random.normal());
    out.set(name, { dtype: 'F32', shape: t.shape, data });
  }
  return out;
}

export function randomPixels(batch: number, seed: number): Tensor {
  const random = createRandom(seed);
  const n = batch * 3 * tinyConfig.imageSize ** 2;
  return float32(
    [batch, 3, tinyConfig.imageSize, tinyConfig.imageSize],
    Array.from({ length: n }, () => random.normal()),
  );
}

/** pooler_output of the plain encoder with `params` on `pixels`. */
export async function plainPooler(params: ClipParams, pixels: Tensor): Promise<Float32Array> {
  const g = new Graph();
  const x = g.input('pixel_values', 'F32', ['batch', 3, tinyConfig.imageSize, tinyConfig.imageSize]);
  const { poolerOutput } = clipVisionForward(tinyConfig, constantParams(g, params), x);
  const session = await compile({ pooler: poolerOutput });
  return (await session.run({ pixel_values: pixels })).pooler.data as Float32Array;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
