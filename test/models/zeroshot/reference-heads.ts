/**
 * Zero-shot heads and logits in float64 from the definitions: per class, the mean over templates of
 * the L2-normalised text embeddings, normalised; logits = exp(logit_scale)·⟨normalize(P·pooler), row⟩.
 */
import type { ClipTextConfig } from '../../../src/models/clip-text/config.js';
import type { ClipParams } from '../../../src/models/clip-vision/params.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { referenceTextForward } from '../clip-text/reference-text.js';

const normalize = (v: Float64Array) => {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
};

/** Rows [K][E] from the unpadded token ids of each class's prompts (ids[k][t]). */
export function referenceRows(config: ClipTextConfig, params: ClipParams, ids: number[][][]): Float64Array[] {
  return ids.map((prompts) => {
    const sum = new Float64Array(config.projectionDim);
    for (const row of prompts) {
      const e = normalize(referenceTextForward(config, params, row).textEmbeds);
      e.forEach((x, i) => {
        sum[i] += x / prompts.length;
      });
    }
    return normalize(sum);
  });
}

/** Logits [K] of one image's pooler_output through visual_projection [E, D] and the rows. */
export function referenceLogits(
  pooler: ArrayLike<number>,
  projection: Tensor,
  logitScale: number,
  rows: Float64Array[],
): number[] {
  const [e, d] = projection.shape;
  const w = projection.data as Float32Array;
  const embedded = new Float64Array(e);
  for (let i = 0; i < e; i++) for (let j = 0; j < d; j++) embedded[i] += w[i * d + j] * pooler[j];
  const unit = normalize(embedded);
  return rows.map((row) => Math.exp(logitScale) * row.reduce((s, x, i) => s + x * unit[i], 0));
}
