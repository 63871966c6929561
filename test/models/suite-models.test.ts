import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreHead } from '../../scripts/suite-models/evaluate.js';
import { pixelBatch } from '../../scripts/suite-models/images.js';
import { SUITE_MODEL_CONFIG } from '../../scripts/suite-models/settings.js';
import { writeRandomView } from '../../scripts/suite-models/views.js';
import { CLIP_MEAN as MEAN, CLIP_STD as STD } from '../../src/data/preprocess/config.js';
import { createRandom } from '../../src/data/random.js';
import { loadSuiteSplit, suiteTasks } from '../../src/data/suite.js';
import { WemoeError } from '../../src/errors.js';
import { clipParamShapes } from '../../src/models/clip-vision/params.js';
import { loadSuiteModels, type SuiteModels, suiteModelsDir } from '../../src/models/suite-models.js';

describe('loadSuiteModels', () => {
  let models: SuiteModels;
  beforeAll(() => {
    models = loadSuiteModels();
  });

  it('gives the committed config and every parameter at its shape', () => {
    expect(models.config).toEqual(SUITE_MODEL_CONFIG);
    const shapes = clipParamShapes(models.config);
    for (const params of [models.pretrained, ...models.experts.values()]) {
      expect(params.size).toBe(shapes.size);
      for (const [name, shape] of shapes) expect(params.get(name)!.shape).toEqual(shape);
    }
  });

  it('has one expert per task in suite order, and a linear head with the task’s class count', () => {
    expect([...models.experts.keys()]).toEqual(suiteTasks());
    expect(models.heads.kind).toBe('linear');
    for (const task of suiteTasks()) {
      const { classes } = loadSuiteSplit(task, 'test', { limit: 1 });
      const head = models.heads.tasks.get(task)!;
      expect(head.classes).toEqual(classes);
      expect(head.weight.shape).toEqual([classes.length, models.config.hiddenSize]);
      expect(head.bias!.shape).toEqual([classes.length]);
    }
  });

  it('has experts that moved away from the pre-trained weights, each differently', () => {
    // ‖τt‖ / ‖θ0‖ per expert, and the cosine between the first two task vectors τ = θt − θ0
    let base = 0;
    const norms = new Array<number>(models.experts.size).fill(0);
    let dot = 0;
    const experts = [...models.experts.values()];
    for (const [name, tensor] of models.pretrained) {
      const p = tensor.data as Float32Array;
      const xs = experts.map((e) => e.get(name)!.data as Float32Array);
      for (let i = 0; i < p.length; i++) {
        base += p[i] * p[i];
        xs.forEach((x, t) => {
          norms[t] += (x[i] - p[i]) ** 2;
        });
        dot += (xs[0][i] - p[i]) * (xs[1][i] - p[i]);
      }
    }
    for (const n of norms) expect(Math.sqrt(n / base)).toBeGreaterThan(1e-3);
    expect(dot / Math.sqrt(norms[0] * norms[1])).toBeLessThan(0.99);
  });

  it('lives under assets/suite/models', () => {
    expect(suiteModelsDir().endsWith(join('assets', 'suite', 'models'))).toBe(true);
  });
});

describe('loadSuiteModels without models', () => {
  const empty = mkdtempSync(join(tmpdir(), 'suite-models-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('fails with one line naming the missing file and the command that builds it', () => {
    expect(() => loadSuiteModels(empty)).toThrow(WemoeError);
    expect(() => loadSuiteModels(empty)).toThrow(
      `${join(empty, 'pretrained', 'config.json')}: missing; run \`npm run build-suite-models\``,
    );
  });
});

describe('suite model build helpers', () => {
  it('shifts with edge replication', () => {
    const image = new Uint8Array(3 * 32 * 32);
    image[0 * 32 + 31] = 255; // red channel, top-right pixel (x 31, y 0)
    const original = pixelBatch(image, [0]);
    const shifted = pixelBatch(image, [0], [{ dx: -1, dy: 1 }]);
    // moved one left and one down; the top row repeats row 0 (edge replication)
    const value = (t: { data: unknown }, x: number, y: number) => (t.data as Float32Array)[y * 32 + x];
    expect(value(shifted, 30, 1)).toBe(value(original, 31, 0));
    expect(value(shifted, 30, 0)).toBe(value(original, 31, 0));
    expect(value(shifted, 31, 1)).toBe(value(original, 31, 0)); // the right edge repeats too
    expect(value(shifted, 10, 20)).toBe(value(original, 10, 20));
  });

  it('draws contrastive views: seeded, in the normalised pixel range, different per draw', () => {
    const image = Uint8Array.from({ length: 3 * 32 * 32 }, (_, i) => (i * 37) % 256);
    const draw = (seed: number, views: number) => {
      const random = createRandom(seed);
      const out = new Float32Array(views * 3 * 32 * 32);
      for (let v = 0; v < views; v++) writeRandomView(image, random, out, v * 3 * 32 * 32);
      return out;
    };
    const first = draw(5, 2);
    expect(Array.from(draw(5, 2))).toEqual(Array.from(first));
    const low = Math.min(...[0, 1, 2].map((c) => -MEAN[c] / STD[c]));
    const high = Math.max(...[0, 1, 2].map((c) => (1 - MEAN[c]) / STD[c]));
    expect(first.every((x) => Number.isFinite(x) && x >= low - 1e-5 && x <= high + 1e-5)).toBe(true);
    const plane = 3 * 32 * 32;
    let differ = 0;
    for (let i = 0; i < plane; i++) if (Math.abs(first[i] - first[plane + i]) > 1e-3) differ++;
    expect(differ).toBeGreaterThan(plane / 4);
  });

  it('scores a head: accuracy, and entropy ln K for equal logits and ≈ 0 for confident ones', () => {
    const weight = { dtype: 'F32' as const, shape: [3, 2], data: Float32Array.of(0, 0, 100, 0, 0, 100) };
    const head = { weight, classes: ['a', 'b', 'c'] };
    const pooler = { dtype: 'F32' as const, shape: [2, 2], data: Float32Array.of(0, 0, 1, 0) };
    const score = scoreHead(head, pooler, Int32Array.of(0, 1));
    expect(score.accuracy).toBe(1); // ties pick class 0; the second row picks class 1
    expect(score.entropy).toBeCloseTo(Math.log(3) / 2, 6);
  });
});
