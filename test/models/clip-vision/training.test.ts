import { describe, expect, it } from 'vitest';
import { Graph, interpret, type RefTensor } from '../../../src/graph/index.js';
import { parseClipVisionConfig } from '../../../src/models/clip-vision/config.js';
import { normalSampler, randomClipParams } from '../../../src/models/clip-vision/params.js';
import { ClipVisionRunner } from '../../../src/models/clip-vision/runner.js';
import {
  buildClipTrainingGraph,
  ClipTrainer,
  crossEntropy,
} from '../../../src/models/clip-vision/training.js';
import { Adam } from '../../../src/optim/index.js';
import { float32, type Tensor } from '../../../src/tensor/tensor.js';

const config = parseClipVisionConfig({
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  image_size: 4,
  patch_size: 2,
});
const normal = normalSampler(21);
const randomTensor = (shape: number[], scale = 1) =>
  float32(
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b) }, () => scale * normal()),
  );
const params = randomClipParams(config, 5);
const head = { weight: randomTensor([3, 8], 0.5), bias: randomTensor([3], 0.1) };
const pixels = randomTensor([2, 3, 4, 4]);
const labels: Tensor = { dtype: 'I64', shape: [2], data: BigInt64Array.of(0n, 2n) };

function f64(t: Tensor): RefTensor {
  return { dtype: t.dtype as 'F32', shape: t.shape, data: Float64Array.from(t.data as Float32Array) };
}

describe('CLIP vision training graph', () => {
  const training = buildClipTrainingGraph(config, head);
  const feeds: Record<string, RefTensor> = {
    pixel_values: f64(pixels),
    labels: { dtype: 'I64', shape: [2], data: Float64Array.of(0, 2) },
  };
  for (const [name, t] of params) feeds[name] = f64(t);
  const loss = (f: Record<string, RefTensor>) => interpret([training.outputs.loss], f)[0].data[0];

  it('has gradients for every parameter that match central finite differences (float64 interpreter)', () => {
    expect(training.paramNames).toHaveLength(params.size);
    const gradValues = training.paramNames.map((n) => training.outputs[`grad.${n}`]);
    const grads = interpret(gradValues, feeds);
    const h = 1e-5;
    let checked = 0;
    training.paramNames.forEach((name, p) => {
      const size = feeds[name].data.length;
      for (const index of [0, Math.floor(size / 2), size - 1]) {
        const shifted = (delta: number) => {
          const data = Float64Array.from(feeds[name].data);
          data[index] += delta;
          return loss({ ...feeds, [name]: { ...feeds[name], data } });
        };
        const numeric = (shifted(h) - shifted(-h)) / (2 * h);
        const analytic = grads[p].data[index];
        expect(Math.abs(numeric - analytic), `${name}[${index}]`).toBeLessThan(
          1e-7 + 1e-5 * Math.abs(analytic),
        );
        checked++;
      }
    });
    expect(checked).toBe(3 * params.size);
  });

  it('computes the same loss and gradients on ONNX Runtime', async () => {
    const trainer = await ClipTrainer.create(config, head, { threads: 1 });
    const step = await trainer.step(params, pixels, labels);
    const reference = interpret([training.outputs.loss, training.outputs.logits], feeds);
    expect(step.loss).toBeCloseTo(reference[0].data[0], 5);
    // Mean cross-entropy by hand from the logits.
    const logits = step.logits.data as Float32Array;
    const ce = [0, 2].map((label, b) => {
      const row = Array.from(logits.subarray(b * 3, b * 3 + 3));
      return Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[label];
    });
    expect(step.loss).toBeCloseTo((ce[0] + ce[1]) / 2, 5);
    for (const name of training.paramNames) {
      const want = interpret([training.outputs[`grad.${name}`]], feeds)[0].data;
      const got = step.grads[name].data as Float32Array;
      const scale = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++)
        expect(Math.abs(got[i] - want[i]), name).toBeLessThan(1e-6 + 1e-4 * scale);
    }
    await expect(trainer.step(params, pixels, { ...labels, data: BigInt64Array.of(0n, 3n) })).rejects.toThrow(
      'labels: 3 is outside [0, 3) (the head has 3 classes)',
    );
    await trainer.dispose();
  });

  it('trains through a CLIP zero-shot head: logits = exp(s)·normalize(P·pooler)·Wᵀ + b', async () => {
    const projection = randomTensor([5, 8], 0.5);
    const zeroShot = { weight: randomTensor([3, 5], 0.5), bias: randomTensor([3], 0.1) };
    const headKind = {
      kind: 'clip_zeroshot' as const,
      visualProjection: projection,
      logitScale: Math.log(3),
    };
    const trainer = await ClipTrainer.create(config, zeroShot, { threads: 1, headKind });
    const runner = ClipVisionRunner.create({ config, params }, { threads: 1 });
    const pooler = (await runner.forward(pixels)).pooler_output.data as Float32Array;
    const step = await trainer.step(params, pixels, labels);
    const [p, w, b] = [projection, zeroShot.weight, zeroShot.bias].map((t) => t.data as Float32Array);
    for (let i = 0; i < 2; i++) {
      const z = Array.from({ length: 5 }, (_, r) => {
        let sum = 0;
        for (let c = 0; c < 8; c++) sum += p[r * 8 + c] * pooler[i * 8 + c];
        return sum;
      });
      const norm = Math.hypot(...z);
      for (let k = 0; k < 3; k++) {
        const want = (3 * z.reduce((s, v, r) => s + v * w[k * 5 + r], 0)) / norm + b[k];
        expect((step.logits.data as Float32Array)[i * 3 + k]).toBeCloseTo(want, 5);
      }
    }
    expect(() => buildClipTrainingGraph(config, head, { headKind })).toThrow(
      'training head: weight is [3, 8], expected [K ≥ 2, 5]',
    );
    await Promise.all([trainer.dispose(), runner.dispose()]);
  });

  it('fine-tunes: Adam steps on one batch lower the loss', async () => {
    const trainer = await ClipTrainer.create(config, head, { threads: 1 });
    const weights = randomClipParams(config, 5);
    const adam = new Adam(Object.fromEntries(weights), { lr: 1e-2 });
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const step = await trainer.step(weights, pixels, labels);
      losses.push(step.loss);
      adam.update(step.grads);
    }
    expect(losses[7]).toBeLessThan(losses[0] * 0.5);
    await trainer.dispose();
  });

  it('rejects a head that does not fit', () => {
    expect(() => buildClipTrainingGraph(config, { weight: float32([3, 7]) })).toThrow(
      'training head: weight is [3, 7], expected [K ≥ 2, 8]',
    );
  });

  it('cross-entropy refuses logits whose class dimension is symbolic (it would build an empty one-hot)', () => {
    const graph = new Graph();
    const logits = graph.input('logits', 'F32', ['batch', 'batch']);
    const labels = graph.input('labels', 'I64', ['batch']);
    expect(() => crossEntropy(logits, labels)).toThrow(
      'crossEntropy: the class dimension of logits must be static, got "batch"',
    );
  });
});
