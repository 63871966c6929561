/**
 * Weight averaging: θ = mean(θt). Wortsman et al., "Model soups: averaging weights of multiple fine-tuned
 * models improves accuracy without increasing inference time", ICML 2022.
 */
import { z } from 'zod';
import { meanInto } from './kernels/sum-simd.js';
import type { MergeTensors, StaticMergeMethod } from './method.js';
import { nonFiniteError, type SelfCheckingMerger } from './task-vector.js';

const params = z.strictObject({});

export type SimpleAverageParams = z.infer<typeof params>;

/** mean over experts (summed in float64 in task order, rounded once); the pretrained model does not enter. */
export function simpleAverage(experts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(experts[0].length);
  meanInto(out, experts);
  return out;
}

export const simpleAverageMethod: StaticMergeMethod<SimpleAverageParams> = {
  kind: 'static',
  name: 'simple_average',
  paper: 'Wortsman et al., Model soups, ICML 2022',
  description: 'θ = mean of the experts',
  params,
  createMerger(): SelfCheckingMerger {
    return {
      checksFinite: true,
      merge(tensors: MergeTensors): Float32Array {
        const out = new Float32Array(tensors.pretrained.length);
        if (!meanInto(out, tensors.experts)) throw nonFiniteError(tensors);
        return out;
      },
    };
  },
};
