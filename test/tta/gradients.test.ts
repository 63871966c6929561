import { describe, expect, it } from 'vitest';
import { wemoeObjective } from '../../src/adapt/wemoe.js';
import { createRandom } from '../../src/data/random.js';
import { createAdaMerging, mergedParamLookup } from '../../src/models/adamerging/model.js';
import { clipVisionForward } from '../../src/models/clip-vision/model.js';
import type { Heads } from '../../src/models/heads.js';
import { upscaleToWemoe } from '../../src/models/wemoe/model.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';
import { entropyObjective, type TtaObjective } from '../../src/tta/objective.js';
import { perturbed, pretrained, randomPixels, tinyConfig } from '../models/wemoe/tiny.js';

const experts = new Map([
  ['a', perturbed(21, 0.3)],
  ['b', perturbed(22, 0.3)],
]);
const random = createRandom(5);
const randomHead = (k: number) =>
  float32(
    [k, tinyConfig.hiddenSize],
    Array.from({ length: k * tinyConfig.hiddenSize }, () => 2 * random.normal()),
  );
const heads: Heads = {
  kind: 'linear',
  tasks: new Map([
    ['a', { weight: randomHead(3), classes: ['x', 'y', 'z'] }],
    ['b', { weight: randomHead(4), bias: float32([4], [0.1, -0.2, 0.3, 0]), classes: ['p', 'q', 'r', 's'] }],
  ]),
};
const imageShape = [3, tinyConfig.imageSize, tinyConfig.imageSize] as const;

/** Central differences on a few coordinates of every parameter vs the graph's gradient. */
async function checkGradients(
  objective: TtaObjective,
  task: string,
  pixels: Tensor,
  h = 1e-2,
): Promise<void> {
  const { grads } = await objective.lossAndGrads(task, pixels);
  let largest = 0;
  for (const [name, p] of Object.entries(objective.params)) {
    const data = p.data as Float32Array;
    const picks = [...new Set([0, Math.floor(data.length / 2), data.length - 1])];
    for (const i of picks) {
      const keep = data[i];
      data[i] = keep + h;
      const up = (await objective.lossAndGrads(task, pixels)).loss;
      data[i] = keep - h;
      const down = (await objective.lossAndGrads(task, pixels)).loss;
      data[i] = keep;
      const fd = (up - down) / (2 * h);
      const g = (grads[name].data as Float32Array)[i];
      largest = Math.max(largest, Math.abs(fd));
      expect(Math.abs(g - fd), `${name}[${i}]: graph ${g} vs finite differences ${fd}`).toBeLessThan(
        2e-3 + 2e-2 * Math.abs(fd),
      );
    }
  }
  expect(largest, 'the loss must depend on the parameters for this check to mean anything').toBeGreaterThan(
    1e-2,
  );
}

describe('test-time gradients vs finite differences', () => {
  const pixels = randomPixels(4, 3);

  const variants = [
    { depth: 0, modules: ['mlp'] },
    { depth: 1, modules: ['mlp'] },
    { depth: 2, modules: ['mlp'] },
    { depth: 2, modules: ['mlp', 'self_attn'] },
  ] as const;
  for (const { depth, modules } of variants) {
    it(`WEMoE router depth ${depth}, upscaled ${modules.join(' + ')}`, async () => {
      const model = upscaleToWemoe(tinyConfig, pretrained, experts, {
        routerDepth: depth,
        upscaledModules: modules,
        seed: 2,
      });
      // Larger router weights than the init so that every term of the gradient matters.
      for (const t of model.routers.values()) {
        const d = t.data as Float32Array;
        for (let i = 0; i < d.length; i++) d[i] += 0.3 * random.normal();
      }
      const objective = await wemoeObjective(model, heads);
      await checkGradients(objective, 'b', pixels);
      await objective.dispose();
    });
  }

  it("dispose releases the objective's session: it runs no more", async () => {
    const model = upscaleToWemoe(tinyConfig, pretrained, experts, { routerDepth: 0 });
    const objective = await wemoeObjective(model, heads);
    expect(Number.isFinite((await objective.lossAndGrads('a', pixels)).loss)).toBe(true);
    await objective.dispose();
    await expect(objective.lossAndGrads('a', pixels)).rejects.toThrow();
  });

  for (const granularity of ['task', 'layer'] as const) {
    it(`AdaMerging ${granularity}-wise coefficients`, async () => {
      const model = createAdaMerging(tinyConfig, pretrained, experts, { granularity });
      const lambdas = model.lambdas.data as Float32Array;
      for (let i = 0; i < lambdas.length; i++) lambdas[i] = 0.3 + 0.2 * random.normal();
      const objective = await entropyObjective(
        (x) => {
          const lam = x.graph.input('lambdas', 'F32', [...model.lambdas.shape]);
          const { poolerOutput } = clipVisionForward(tinyConfig, mergedParamLookup(x.graph, model, lam), x);
          return { pooler: poolerOutput, trainable: new Map([['lambdas', lam]]) };
        },
        { lambdas: model.lambdas },
        heads,
        imageShape,
      );
      await checkGradients(objective, 'a', pixels);
      await objective.dispose();
    });
  }
});
