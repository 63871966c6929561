/** Encoders between the suite's pre-trained model and its experts, for the diagnostic scripts. */

import type { ClipParams } from '../../src/models/clip-vision/params.js';
import type { SuiteModels } from '../../src/models/suite-models.js';

/** θ0 + Σt w(tensor, t)·(θt − θ0). */
export function mergeWeighted(
  models: SuiteModels,
  weight: (name: string, task: string) => number,
): ClipParams {
  const merged: ClipParams = new Map();
  for (const [name, tensor] of models.pretrained) {
    const base = tensor.data as Float32Array;
    const out = Float32Array.from(base);
    for (const [task, expert] of models.experts) {
      const w = weight(name, task);
      if (w === 0) continue; // most weights are 0 (one expert alone, perfect routing): skip their reads
      const theta = expert.get(name)!.data as Float32Array;
      for (let i = 0; i < out.length; i++) out[i] += w * (theta[i] - base[i]);
    }
    merged.set(name, { ...tensor, data: out });
  }
  return merged;
}
