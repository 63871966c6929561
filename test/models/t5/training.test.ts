import { describe, expect, it } from 'vitest';
import { interpret, type RefTensor, toRef } from '../../../src/graph/index.js';
import { randomT5Params, type T5Params } from '../../../src/models/t5/params.js';
import {
  buildT5TrainingGraph,
  countCorrectTokens,
  T5Trainer,
  teacherForcingBatch,
} from '../../../src/models/t5/training.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { referenceDecoder, referenceEncoder } from './reference.js';
import { tinyGatedT5 } from './tiny.js';

const SOURCES = [
  [3, 7, 9, 1],
  [4, 1],
  [12, 5, 6, 8, 1],
];
const TARGETS = [
  [5, 11, 1],
  [2, 1],
  [9, 3, 13, 1],
];

/** Mean −log p(target token) over all target tokens, by the reference T5 in float64. */
function referenceLoss(config: ReturnType<typeof tinyGatedT5>, params: T5Params): number {
  let total = 0;
  let count = 0;
  SOURCES.forEach((ids, r) => {
    const enc = referenceEncoder(
      config,
      params,
      ids,
      ids.map(() => 1),
    );
    const decoderIds = [config.decoderStartTokenId, ...TARGETS[r].slice(0, -1)];
    const logits = referenceDecoder(
      config,
      params,
      decoderIds,
      enc,
      ids.map(() => 1),
    );
    TARGETS[r].forEach((token, i) => {
      const row = logits[i];
      const max = Math.max(...row);
      const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
      total += Math.log(z) + max - row[token];
      count++;
    });
  });
  return total / count;
}

describe('T5 training graph (teacher-forced token cross-entropy)', () => {
  for (const tied of [false, true]) {
    const config = tinyGatedT5({ vocab_size: 16, num_layers: 2, tie_word_embeddings: tied });
    const params = randomT5Params(config, 5);
    const batch = teacherForcingBatch(config, SOURCES, TARGETS);
    const training = buildT5TrainingGraph(config);
    const feeds: Record<string, RefTensor> = {};
    for (const [name, t] of Object.entries(batch.feeds)) feeds[name] = toRef(t);
    for (const [name, t] of params) feeds[name] = toRef(t);
    const loss = (f: Record<string, RefTensor>) => interpret([training.outputs.loss], f)[0].data[0];

    it(`${tied ? 'tied' : 'untied'}: every gradient equals central differences (float64 interpreter)`, () => {
      expect(training.paramNames).toHaveLength(params.size);
      expect(loss(feeds)).toBeCloseTo(referenceLoss(config, params), 6);
      const grads = interpret(
        training.paramNames.map((n) => training.outputs[`grad.${n}`]),
        feeds,
      );
      const h = 1e-5;
      let checked = 0;
      training.paramNames.forEach((name, p) => {
        const size = feeds[name].data.length;
        for (const index of [0, Math.floor(size / 2), size - 1]) {
          const at = (delta: number) => {
            const data = Float64Array.from(feeds[name].data);
            data[index] += delta;
            return loss({ ...feeds, [name]: { ...feeds[name], data } });
          };
          const numeric = (at(h) - at(-h)) / (2 * h);
          const analytic = grads[p].data[index];
          expect(Math.abs(numeric - analytic), `${name}[${index}]`).toBeLessThan(
            1e-7 + 1e-5 * Math.abs(analytic),
          );
          checked++;
        }
      });
      expect(checked).toBe(3 * params.size);
    });

    it(`${tied ? 'tied' : 'untied'}: ONNX Runtime computes the reference loss and the interpreter's gradients`, async () => {
      const trainer = await T5Trainer.create(config, { threads: 1 });
      const step = await trainer.step(params, batch);
      expect(step.loss).toBeCloseTo(referenceLoss(config, params), 5);
      const names = ['shared.weight', 'decoder.block.1.layer.2.DenseReluDense.wo.weight'];
      const expected = interpret(
        names.map((n) => training.outputs[`grad.${n}`]),
        feeds,
      );
      names.forEach((name, k) => {
        const got = step.grads[name].data as Float32Array;
        const want = expected[k].data;
        const scale = Math.max(...Array.from(want, Math.abs));
        expect(scale).toBeGreaterThan(1e-3);
        const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
        expect(worst, name).toBeLessThan(1e-5 * scale + 1e-7);
      });
      await trainer.dispose();
    });
  }

  it('pads sources and targets; the decoder sees the start token then the target shifted right', () => {
    const config = tinyGatedT5({ vocab_size: 16 });
    const { feeds, labels } = teacherForcingBatch(config, SOURCES, TARGETS);
    expect(feeds.input_ids.shape).toEqual([3, 5]);
    expect(Array.from(feeds.attention_mask.data as BigInt64Array, Number)).toEqual([
      1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1,
    ]);
    expect(Array.from(feeds.decoder_input_ids.data as BigInt64Array, Number)).toEqual([
      0, 5, 11, 0, 0, 2, 0, 0, 0, 9, 3, 13,
    ]);
    expect(Array.from(feeds.label_weights.data as Float32Array)).toEqual([
      1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1,
    ]);
    expect(labels[1]).toEqual([2, 1, 0, 0]);
    expect(() => teacherForcingBatch(config, SOURCES, TARGETS.slice(1))).toThrow(/as many targets/);
  });

  it('counts arg-max hits over the real target tokens only', () => {
    const logits: Tensor = {
      dtype: 'F32',
      shape: [1, 3, 3],
      data: Float32Array.of(0, 2, 1, 5, 0, 0, 0, 0, 9),
    };
    expect(countCorrectTokens(logits, [[1, 2, 2]], [2])).toEqual({ correct: 1, total: 2 });
  });
});
