/**
 * Weight averaging: θ = mean(θt). Wortsman et al., "Model soups: averaging weights of multiple fine-tuned
 * models improves accuracy without increasing inference time", ICML 2022.
 */
import { z } from 'zod';
import type { MergeTensors, StaticMergeMethod, TensorMerger } from './method.js';

const params = z.strictObject({});

export type SimpleAverageParams = z.infer<typeof params>;

/** mean over experts; the pretrained model does not enter. */
export function simpleAverage(experts: readonly Float32Array[]): Float32Array {
  const n = experts[0].length;
  const count = experts.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let t = 0; t < count; t++) sum += experts[t][i];
    out[i] = sum / count;
  }
  return out;
}

export const simpleAverageMethod: StaticMergeMethod<SimpleAverageParams> = {
  kind: 'static',
  name: 'simple_average',
  paper: 'Wortsman et al., Model soups, ICML 2022',
  description: 'θ = mean of the experts',
  params,
  createMerger(): TensorMerger {
    return { merge: (tensors: MergeTensors) => simpleAverage(tensors.experts) };
  },
};
