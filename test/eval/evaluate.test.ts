import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/data/random.js';
import type { LabeledImages } from '../../src/data/task-data.js';
import { evaluateModel } from '../../src/eval/evaluate.js';
import type { Heads } from '../../src/models/heads.js';
import { type UpscaleOptions, upscaleToWemoe, type WemoeModel } from '../../src/models/wemoe/model.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';
import { plainPooler, pretrained, randomPixels, tinyConfig } from '../models/wemoe/tiny.js';

const COUNT = 10;
const K = 3;
const D = tinyConfig.hiddenSize;

function images(task: string, pixels: Tensor, labels: number[]): LabeledImages {
  const plane = 3 * tinyConfig.imageSize ** 2;
  const data = pixels.data as Float32Array;
  return {
    task,
    count: labels.length,
    classes: ['x', 'y', 'z'],
    labels: Int32Array.from(labels),
    pixels: (indices) =>
      float32(
        [indices.length, 3, tinyConfig.imageSize, tinyConfig.imageSize],
        indices.flatMap((i) => Array.from(data.subarray(i * plane, (i + 1) * plane))),
      ),
  };
}

/** log Σ exp(z) − z[label], the cross-entropy of one row. */
function crossEntropy(z: number[], label: number): number {
  const max = Math.max(...z);
  return max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[label];
}

const random = createRandom(5);
const weight = float32(
  [K, D],
  Array.from({ length: K * D }, () => random.normal()),
);
const bias = float32([K], [0.5, -0.25, 0.1]);
const heads: Heads = {
  kind: 'linear',
  tasks: new Map([
    ['constant', { weight: float32([K, D], new Array(K * D).fill(0)), bias, classes: ['x', 'y', 'z'] }],
    ['linear', { weight, bias, classes: ['x', 'y', 'z'] }],
  ]),
};
const pixels = randomPixels(COUNT, 3);

/** Host logits of the `linear` head on the plain encoder, and labels right on exactly 7 of 10. */
async function linearFixture() {
  const pooler = await plainPooler(pretrained, pixels);
  const w = weight.data as Float32Array;
  const logits = Array.from({ length: COUNT }, (_, b) =>
    Array.from({ length: K }, (_, k) => {
      let z = (bias.data as Float32Array)[k];
      for (let d = 0; d < D; d++) z += w[k * D + d] * pooler[b * D + d];
      return z;
    }),
  );
  const labels = logits.map((z, b) => {
    const predicted = z.indexOf(Math.max(...z));
    return b < 7 ? predicted : (predicted + 1) % K;
  });
  const loss = logits.reduce((s, z, b) => s + crossEntropy(z, labels[b]), 0) / COUNT;
  return { labels, loss };
}

describe('evaluateModel', () => {
  it('gives the known accuracy and cross-entropy of a plain encoder, over partial batches', async () => {
    // The constant head predicts class 0 for every input: right exactly on the label-0 samples.
    const constantLabels = [0, 1, 2, 0, 1, 2, 0, 0, 1, 2]; // four zeros
    const fixture = await linearFixture();
    const result = await evaluateModel(
      { kind: 'clip', config: tinyConfig, params: pretrained },
      heads,
      [images('constant', pixels, constantLabels), images('linear', pixels, fixture.labels)],
      { batchSize: 3, progress: 'none', threads: 1 },
    );
    const b = [0.5, -0.25, 0.1];
    const constantLoss = constantLabels.reduce((s, l) => s + crossEntropy(b, l), 0) / COUNT;
    expect(result.perTask.constant.accuracy).toBe(0.4);
    expect(result.perTask.constant.loss).toBeCloseTo(constantLoss, 5);
    expect(result.perTask.linear.accuracy).toBe(0.7);
    expect(result.perTask.linear.loss).toBeCloseTo(fixture.loss, 4);
    expect(result.average.accuracy).toBeCloseTo(0.55, 12);
    expect(result.average.loss).toBeCloseTo((constantLoss + fixture.loss) / 2, 4);
    expect(result.entropy.constant).toBeGreaterThan(0);
    expect(result.routing).toBeUndefined();
  });

  /** A depth-0 WEMoE model whose experts are all the pre-trained encoder, evaluated on the linear fixture. */
  async function evaluateIdenticalExperts(
    expertNames: readonly string[],
    options: UpscaleOptions,
    setRouters: (model: WemoeModel) => void = () => {},
  ) {
    const fixture = await linearFixture();
    const experts = new Map(expertNames.map((name) => [name, pretrained]));
    const model = upscaleToWemoe(tinyConfig, pretrained, experts, { routerDepth: 0, ...options });
    setRouters(model);
    const result = await evaluateModel(
      { kind: 'wemoe', model },
      heads,
      [images('linear', pixels, fixture.labels)],
      { batchSize: 4, progress: 'none', threads: 1 },
    );
    return { fixture, result };
  }

  it('evaluates a WEMoE model of identical experts as the plain encoder, with depth-0 routing = λ', async () => {
    const { fixture, result } = await evaluateIdenticalExperts(['constant', 'linear'], { initLambda: 0.3 });
    expect(result.perTask.linear.accuracy).toBe(0.7);
    expect(result.perTask.linear.loss).toBeCloseTo(fixture.loss, 4);
    const routing = result.routing!;
    expect(routing.layers).toEqual([0, 1]);
    expect(routing.experts).toEqual(['constant', 'linear']);
    expect(routing.tasks).toEqual(['linear']);
    for (const layer of routing.mean_weights) for (const w of layer[0]) expect(w).toBeCloseTo(0.3, 6);
  });

  it('summarises the attention routers apart from the MLP routers when the attention is upscaled too', async () => {
    const { result } = await evaluateIdenticalExperts(
      ['constant', 'linear'],
      { initLambda: 0.3, upscaledModules: ['mlp', 'self_attn'] },
      (model) => {
        const attentionGates = [...model.routers.keys()].filter((name) => name.includes('self_attn.gate'));
        expect(attentionGates).toHaveLength(2);
        for (const name of attentionGates) model.routers.set(name, float32([2], [0.1, 0.7]));
      },
    );
    // Identical experts: any routing weights leave the encoder as it is.
    expect(result.perTask.linear.accuracy).toBe(0.7);
    for (const layer of result.routing!.mean_weights) for (const w of layer[0]) expect(w).toBeCloseTo(0.3, 6);
    const attention = result.attentionRouting!;
    expect(attention.layers).toEqual([0, 1]);
    expect(attention.experts).toEqual(['constant', 'linear']);
    for (const layer of attention.mean_weights) {
      expect(layer[0][0]).toBeCloseTo(0.1, 6);
      expect(layer[0][1]).toBeCloseTo(0.7, 6);
    }
  });

  it('has no MLP routing summary for a WEMoE model that upscales the attention only', async () => {
    const { result } = await evaluateIdenticalExperts(['linear'], {
      initLambda: 0.5,
      upscaledModules: ['self_attn'],
    });
    expect(result.routing).toBeUndefined();
    for (const layer of result.attentionRouting!.mean_weights) expect(layer[0][0]).toBeCloseTo(0.5, 6);
  });

  it('names the task whose head does not fit its data', async () => {
    const wrong: LabeledImages = { ...images('linear', pixels, new Array(COUNT).fill(0)), classes: ['a'] };
    await expect(
      evaluateModel({ kind: 'clip', config: tinyConfig, params: pretrained }, heads, [wrong], {
        progress: 'none',
      }),
    ).rejects.toThrow(/task linear: the head has 3 classes, the data 1/);
  });
});
