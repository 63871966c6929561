import { describe, expect, it } from 'vitest';
import { parseClipVisionConfig } from '../../src/models/clip-vision/config.js';
import { normalSampler, randomClipParams } from '../../src/models/clip-vision/params.js';
import { ClipVisionRunner } from '../../src/models/clip-vision/runner.js';
import type { Heads } from '../../src/models/heads.js';
import { float32 } from '../../src/tensor/tensor.js';

const config = parseClipVisionConfig({
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  image_size: 4,
  patch_size: 2,
});
const normal = normalSampler(9);
const randomTensor = (shape: number[]) =>
  float32(shape, Array.from({ length: shape.reduce((a, b) => a * b) }, normal));
const pixels = randomTensor([2, 3, 4, 4]);

/** logits[b, k] computed on the host from pooler_output with the contract's formula. */
function hostLogits(heads: Heads, task: string, pooler: Float32Array): number[][] {
  const head = heads.tasks.get(task)!;
  const [k, e] = head.weight.shape;
  const w = head.weight.data as Float32Array;
  const rows: number[][] = [];
  for (let b = 0; b < 2; b++) {
    let feature = Array.from(pooler.subarray(b * 8, (b + 1) * 8));
    let scale = 1;
    if (heads.kind === 'clip_zeroshot') {
      const p = heads.visualProjection!.data as Float32Array;
      feature = Array.from({ length: e }, (_, i) => feature.reduce((s, v, d) => s + v * p[i * 8 + d], 0));
      const norm = Math.hypot(...feature);
      feature = feature.map((v) => v / norm);
      scale = Math.exp(heads.logitScale!);
    }
    rows.push(
      Array.from({ length: k }, (_, c) => {
        const dot = feature.reduce((s, v, i) => s + v * w[c * e + i], 0);
        return scale * dot + ((head.bias?.data[c] as number | undefined) ?? 0);
      }),
    );
  }
  return rows;
}

describe('heads on the graph', () => {
  const heads: Heads[] = [
    {
      kind: 'linear',
      tasks: new Map([
        ['a', { weight: randomTensor([3, 8]), bias: randomTensor([3]), classes: ['x', 'y', 'z'] }],
        ['b', { weight: randomTensor([2, 8]), classes: ['p', 'q'] }],
      ]),
    },
    {
      kind: 'clip_zeroshot',
      tasks: new Map([['a', { weight: randomTensor([3, 5]), classes: ['x', 'y', 'z'] }]]),
      visualProjection: randomTensor([5, 8]),
      logitScale: Math.log(100),
    },
  ];
  for (const h of heads) {
    it(`computes ${h.kind} logits of every task over one encoder`, async () => {
      const runner = ClipVisionRunner.create(
        { config, params: randomClipParams(config, 1) },
        { threads: 1, heads: h },
      );
      for (const task of h.tasks.keys()) {
        const out = await runner.forward(pixels, task);
        const want = hostLogits(h, task, out.pooler_output.data as Float32Array);
        const k = want[0].length;
        expect(out.logits!.shape).toEqual([2, k]);
        const got = Array.from(out.logits!.data as Float32Array);
        for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[Math.floor(i / k)][i % k], 3);
      }
      await expect(runner.forward(pixels, 'nope')).rejects.toThrow(/no head for task "nope"; tasks: a/);
      await runner.dispose();
    });
  }
});
