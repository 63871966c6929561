/**
 * Weight averaging: θ = mean(θt). Wortsman et al., "Model soups: averaging weights of multiple fine-tuned
 * models improves accuracy without increasing inference time", ICML 2022.
 */
import { z } from 'zod';
import { blockSums } from '../tensor/block-sums.js';
import type { StaticMergeMethod, TensorMerger } from './method.js';

const params = z.strictObject({});

export type SimpleAverageParams = z.infer<typeof params>;

/** mean over experts (summed in float64 in task order, rounded once); the pretrained model does not enter. */
export function simpleAverage(experts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(experts[0].length);
  blockSums(experts, out.length, (sums, start, n) => {
    for (let j = 0; j < n; j++) out[start + j] = sums[j] / experts.length;
  });
  return out;
}

export const simpleAverageMethod: StaticMergeMethod<SimpleAverageParams> = {
  kind: 'static',
  name: 'simple_average',
  paper: 'Wortsman et al., Model soups, ICML 2022',
  description: 'θ = mean of the experts',
  params,
  createMerger: (): TensorMerger => ({ passes: 0, merge: (tensors) => simpleAverage(tensors.experts) }),
};
