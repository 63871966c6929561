import { describe, expect, it } from 'vitest';
import { adaptT5AdaMerging, adaptT5Wemoe, tokenTask } from '../../src/adapt/t5.js';
import { Graph } from '../../src/graph/index.js';
import { createT5AdaMerging } from '../../src/models/t5/adamerging.js';
import { encoderPositionFeeds } from '../../src/models/t5/feeds.js';
import { firstStepLogits, t5Entropy } from '../../src/models/t5/objective.js';
import { randomT5Params } from '../../src/models/t5/params.js';
import { t5WemoeParams, upscaleT5ToWemoe } from '../../src/models/t5/wemoe.js';
import { compile } from '../../src/runtime/index.js';
import { maskOfPadded, t5EntropyObjective } from '../../src/tta/t5-objective.js';
import { perturbedExperts, tinyGatedT5 } from '../models/t5/tiny.js';

const config = tinyGatedT5({ vocab_size: 20 });
const pretrained = randomT5Params(config, 6);
const experts = perturbedExperts(pretrained, ['cola', 'sst2'], { seed: 80, scale: 0.2 });
const tasks = [
  tokenTask('cola', [
    [3, 7, 1],
    [9, 2, 5, 8, 1],
    [4, 1],
    [6, 6, 2, 1],
  ]),
  tokenTask('sst2', [
    [11, 12, 1],
    [15, 3, 1],
    [17, 9, 9, 4, 2, 1],
    [5, 1],
  ]),
];
const loopOptions = {
  steps: 6,
  lr: 0.05,
  schedule: 'constant' as const,
  batchSize: 2,
  seed: 1,
  progress: 'none' as const,
};

describe('test-time adaptation of T5 merges', () => {
  it('pads token batches with the pad id and masks them', async () => {
    const batch = await tasks[0].pixels([2, 1]);
    expect(batch.shape).toEqual([2, 5]);
    expect(Array.from(batch.data as BigInt64Array, Number)).toEqual([4, 1, 0, 0, 0, 9, 2, 5, 8, 1]);
    expect(Array.from(maskOfPadded(batch, 0).data as BigInt64Array, Number)).toEqual([
      1, 1, 0, 0, 0, 1, 1, 1, 1, 1,
    ]);
  });

  it('WEMoE: the objective is the first-step entropy, and the routers lower it', async () => {
    const model = upscaleT5ToWemoe(config, pretrained, experts, { routerDepth: 2, seed: 2 });
    const batch = await tasks[1].pixels([0, 2]);
    // The same loss from a graph built directly.
    const g = new Graph();
    const inputs = {
      inputIds: g.input('input_ids', 'I64', ['batch', 'src']),
      attentionMask: g.input('attention_mask', 'I64', ['batch', 'src']),
      buckets: g.input('encoder_buckets', 'I64', ['src', 'src']),
    };
    const p = t5WemoeParams(model, g);
    const direct = await compile(
      {
        loss: t5Entropy(
          firstStepLogits(config, p.param, inputs, { feedForwardParams: p.feedForwardParams }),
          'batch-mean',
        ),
      },
      { threads: 1 },
    );
    const want = (
      await direct.run({
        input_ids: batch,
        attention_mask: maskOfPadded(batch, 0),
        ...encoderPositionFeeds(config, 6),
      })
    ).loss.data[0];
    await direct.dispose();
    const objective = await t5EntropyObjective(
      config,
      (x) => {
        const q = t5WemoeParams(model, x.inputIds.graph, { trainableRouters: true });
        return {
          logits: firstStepLogits(config, q.param, x, { feedForwardParams: q.feedForwardParams }),
          trainable: q.routerInputs,
        };
      },
      Object.fromEntries(model.routers),
      {},
      { threads: 1 },
    );
    const got = await objective.lossAndGrads('sst2', batch);
    await objective.dispose();
    expect(got.loss).toBeCloseTo(want as number, 6);
    expect(Object.keys(got.grads).length).toBe(model.routers.size);

    const before = Float32Array.from(
      model.routers.get('encoder.block.0.layer.1.DenseReluDense.gate.fc2.bias')!.data as Float32Array,
    );
    const result = await adaptT5Wemoe(model, tasks, loopOptions, { threads: 1 });
    expect(result.steps).toBe(6);
    const after = model.routers.get('encoder.block.0.layer.1.DenseReluDense.gate.fc2.bias')!
      .data as Float32Array;
    expect(Math.max(...after.map((v, i) => Math.abs(v - before[i])))).toBeGreaterThan(1e-3);
    const curve = result.lossCurve.map((r) => r.loss);
    expect(curve[curve.length - 1]).toBeLessThan(curve[0]);
  });

  it('AdaMerging: layer-wise λ lower the objective; label-word entropy runs per task', async () => {
    const model = createT5AdaMerging(config, pretrained, experts, { granularity: 'layer', init: 0.3 });
    const result = await adaptT5AdaMerging(model, tasks, loopOptions, { threads: 1 });
    const curve = result.lossCurve.map((r) => r.loss);
    expect(curve[curve.length - 1]).toBeLessThan(curve[0]);
    expect(Array.from(model.lambdas.data as Float32Array).some((l) => Math.abs(l - 0.3) > 1e-3)).toBe(true);
    const labels = createT5AdaMerging(config, pretrained, experts, { granularity: 'task' });
    const byLabels = await adaptT5AdaMerging(
      labels,
      tasks,
      { ...loopOptions, steps: 2, kind: 'labels', labelTokens: { cola: [3, 4], sst2: [5, 6, 7] } },
      { threads: 1 },
    );
    expect(byLabels.steps).toBe(2);
    await expect(
      adaptT5AdaMerging(
        labels,
        tasks,
        { ...loopOptions, steps: 1, kind: 'labels', labelTokens: { cola: [3] } },
        { threads: 1 },
      ),
    ).rejects.toThrow('t5 objective: no label tokens for task sst2');
  });
});
