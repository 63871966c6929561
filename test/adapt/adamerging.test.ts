import { describe, expect, it } from 'vitest';
import { adamergingMethod, adaptAdaMerging, COEFFICIENTS_FILE } from '../../src/adapt/adamerging.js';
import type { TestTimeInputs } from '../../src/adapt/test-time-method.js';
import { createRandom } from '../../src/data/random.js';
import {
  type AdaMergingModel,
  createAdaMerging,
  mergedParamLookup,
  mergedParams,
} from '../../src/models/adamerging/model.js';
import { clipVisionForward } from '../../src/models/clip-vision/model.js';
import type { Heads } from '../../src/models/heads.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';
import { entropyObjective } from '../../src/tta/objective.js';
import { perturbed, pretrained, randomPixels, tinyConfig } from '../models/wemoe/tiny.js';

const random = createRandom(5);
const randomHead = (k: number) =>
  float32(
    [k, 8],
    Array.from({ length: k * 8 }, () => 2 * random.normal()),
  );
const heads: Heads = {
  kind: 'linear',
  tasks: new Map([
    ['a', { weight: randomHead(3), classes: ['x', 'y', 'z'] }],
    ['b', { weight: randomHead(4), classes: ['p', 'q', 'r', 's'] }],
  ]),
};
const experts = new Map([
  ['a', perturbed(21, 0.3)],
  ['b', perturbed(22, 0.3)],
]);
const tasks = ['a', 'b'].map((name, t) => {
  const pixels = randomPixels(12, 31 + t);
  return {
    name,
    count: 12,
    pixels: (indices: readonly number[]) =>
      float32(
        [indices.length, 3, 4, 4],
        indices.flatMap((i) => Array.from((pixels.data as Float32Array).subarray(i * 48, (i + 1) * 48))),
      ),
  };
});
const inputs: TestTimeInputs = { clip: tinyConfig, pretrained, experts, heads, tasks, seed: 3 };
const NAME = 'vision_model.post_layernorm.bias';

/** The loss and λ gradient of `model` on task a's first images (the adaptation's objective). */
async function lossAndGrad(model: AdaMergingModel): Promise<{ loss: number; grad: Float32Array }> {
  const objective = await entropyObjective(
    (x) => {
      const lambdas = x.graph.input('lambdas', 'F32', [...model.lambdas.shape]);
      const { poolerOutput } = clipVisionForward(tinyConfig, mergedParamLookup(x.graph, model, lambdas), x);
      return { pooler: poolerOutput, trainable: new Map([['lambdas', lambdas]]) };
    },
    { lambdas: model.lambdas },
    heads,
    [3, 4, 4],
  );
  try {
    const { loss, grads } = await objective.lossAndGrads('a', tasks[0].pixels([0, 1, 2, 3]));
    return { loss, grad: grads.lambdas.data as Float32Array };
  } finally {
    await objective.dispose();
  }
}

/** θ0 + Σ λt τt of one tensor, with λ and τ in float32 (as stored) and each step rounded to float32. */
function expectedMerge(lambdas: readonly number[]): Float32Array {
  const base = pretrained.get(NAME)!.data as Float32Array;
  const out = Float32Array.from(base);
  ['a', 'b'].forEach((task, t) => {
    const x = experts.get(task)!.get(NAME)!.data as Float32Array;
    for (let i = 0; i < out.length; i++) out[i] += Math.fround(lambdas[t]) * Math.fround(x[i] - base[i]);
  });
  return out;
}

function modelWith(lambdas: readonly number[], clampInMerge: boolean): AdaMergingModel {
  const model = createAdaMerging(tinyConfig, pretrained, experts, { granularity: 'task', clampInMerge });
  (model.lambdas.data as Float32Array).set(lambdas);
  return model;
}

describe('AdaMerging clamp modes', () => {
  it("defaults to 'merge' and takes none | merge | parameter only", () => {
    expect(adamergingMethod.params.parse({}).clamp).toBe('merge');
    expect(adamergingMethod.params.parse({ clamp: 'none' }).clamp).toBe('none');
    expect(() => adamergingMethod.params.parse({ clamp: true })).toThrow();
  });

  it('merge: a λ beyond [0, 1] enters the merge clamped and gets zero gradient', async () => {
    for (const outside of [1.1, -0.25]) {
      const clamped = modelWith([outside, 0.4], true);
      expect(mergedParams(clamped).get(NAME)!.data).toEqual(expectedMerge([outside > 1 ? 1 : 0, 0.4]));
      const { loss, grad } = await lossAndGrad(clamped);
      expect(grad[0]).toBe(0);
      expect(Math.abs(grad[1])).toBeGreaterThan(1e-4);
      // The same loss and inside gradient as the model whose λ is the clamped value itself.
      const atBound = await lossAndGrad(modelWith([outside > 1 ? 1 : 0, 0.4], false));
      expect(loss).toBeCloseTo(atBound.loss, 6);
      expect(grad[1]).toBeCloseTo(atBound.grad[1], 6);
    }
  });

  it('none: a λ beyond 1 enters as it is, and its gradient flows', async () => {
    const free = modelWith([1.1, 0.4], false);
    expect(mergedParams(free).get(NAME)!.data).toEqual(expectedMerge([1.1, 0.4]));
    const { grad } = await lossAndGrad(free);
    expect(Math.abs(grad[0])).toBeGreaterThan(1e-4);
  });

  it('parameter: projects λ after each step, as the earlier boolean clamp did (values pinned from it)', async () => {
    const params = adamergingMethod.params.parse({
      granularity: 'task',
      init: 0.9,
      lr: 0.2,
      steps: 8,
      batch_size: 4,
      schedule: 'constant',
      clamp: 'parameter',
    });
    const adapted = await adamergingMethod.adapt(params, inputs, { log: () => {}, progress: 'none' });
    const { coefficients } = adapted.files![COEFFICIENTS_FILE] as { coefficients: number[] };
    // The earlier code, adaptAdaMerging(createAdaMerging(..., 'task', 0.9), ..., true), on this fixture.
    expect(coefficients[0]).toBe(1);
    expect(coefficients[1]).toBeCloseTo(0.040167324244976044, 6);
    const pinnedLoss = [
      0.70782059, 0.49780965, 0.33235166, 0.40863665, 0.16880775, 0.48921436, 0.6013765, 0.26262557,
    ];
    adapted.tta.lossCurve.forEach((r, i) => {
      expect(r.loss).toBeCloseTo(pinnedLoss[i], 5);
    });
    // Bit for bit the projection loop on a model that does not clamp in the merge.
    const model = createAdaMerging(tinyConfig, pretrained, experts, { granularity: 'task', init: 0.9 });
    const options = {
      steps: 8,
      lr: 0.2,
      schedule: 'constant',
      batchSize: 4,
      seed: 3,
      progress: 'none',
    } as const;
    await adaptAdaMerging(model, heads, tasks, { ...options, log: () => {}, projectToUnit: true });
    expect(Array.from(model.lambdas.data as Float32Array)).toEqual(coefficients);
    const merged = (adapted.model as { params: Map<string, Tensor> }).params.get(NAME)!.data;
    expect(merged).toEqual(mergedParams(model).get(NAME)!.data);
  });

  it('refuses the T5 objective on a CLIP merge, in one line', async () => {
    const params = adamergingMethod.params.parse({ steps: 1, objective: 'labels' });
    await expect(adamergingMethod.adapt(params, inputs, { log: () => {}, progress: 'none' })).rejects.toThrow(
      'adamerging: parameters.objective applies to T5 models; this merge is of CLIP models',
    );
  });
});
