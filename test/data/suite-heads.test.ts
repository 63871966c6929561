import { describe, expect, it } from 'vitest';
import { prototypeHead } from '../../scripts/suite-models/heads.js';
import { createRandom } from '../../src/data/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

function featureTensor(rows: number[][]): Tensor {
  return { dtype: 'F32', shape: [rows.length, rows[0].length], data: Float32Array.from(rows.flat()) };
}

/** Mean cross-entropy of the head's logits with its weight and bias multiplied by `factor`. */
function headNll(
  weight: Float32Array,
  bias: Float32Array,
  rows: number[][],
  labels: number[],
  factor: number,
) {
  const k = bias.length;
  const d = rows[0].length;
  let total = 0;
  rows.forEach((x, i) => {
    const z = Array.from({ length: k }, (_, c) => {
      let dot = bias[c];
      for (let e = 0; e < d; e++) dot += weight[c * d + e] * x[e];
      return factor * dot;
    });
    const max = Math.max(...z);
    total += max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[labels[i]];
  });
  return total / rows.length;
}

describe('prototypeHead', () => {
  it('averages the first imagesPerClass images of each class into s·μc with bias −½·s·‖μc‖²', () => {
    // class 0: (0, 0), (2, 0) → μ0 = (1, 0); class 1: (0, 2), (0, 4) → μ1 = (0, 3); later images are not averaged
    const rows = [
      [0, 0],
      [0, 2],
      [2, 0],
      [0, 4],
      [50, 50],
      [1, 1],
    ];
    const labels = [0, 1, 0, 1, 0, 1];
    const { head } = prototypeHead(featureTensor(rows), labels, ['a', 'b'], { imagesPerClass: 2 });
    const w = head.weight.data as Float32Array;
    const b = head.bias!.data as Float32Array;
    const s = w[0];
    expect(s).toBeGreaterThan(0);
    expect(w[1]).toBe(0);
    expect(w[2]).toBe(0);
    expect(w[3]).toBeCloseTo(3 * s, 5);
    expect(b[0]).toBeCloseTo(-0.5 * s, 6);
    expect(b[1]).toBeCloseTo(-4.5 * s, 5);
    expect(head.classes).toEqual(['a', 'b']);
  });

  it('sets the temperature at the minimum of the mean cross-entropy and reports nearest-mean accuracy', () => {
    const random = createRandom(7);
    const centres = [
      [0, 0, 0],
      [1.5, 0, 0],
      [0, 1.5, 0],
    ];
    const labels = Array.from({ length: 300 }, (_, i) => i % 3);
    const rows = labels.map((c) => centres[c].map((v) => v + random.normal()));
    const { head, trainAccuracy } = prototypeHead(featureTensor(rows), labels, ['x', 'y', 'z'], {
      imagesPerClass: 20,
    });
    const w = head.weight.data as Float32Array;
    const b = head.bias!.data as Float32Array;
    const nll = (factor: number) => headNll(w, b, rows, labels, factor);
    // overlapping classes: a finite optimum, inside the searched range, and no better scale nearby
    expect(nll(1)).toBeLessThan(nll(1.01));
    expect(nll(1)).toBeLessThan(nll(0.99));
    expect(nll(1)).toBeLessThan(Math.log(3));
    const predicted = rows.map((x) => {
      const z = [0, 1, 2].map((c) => b[c] + x.reduce((s, v, e) => s + w[c * 3 + e] * v, 0));
      return z.indexOf(Math.max(...z));
    });
    expect(trainAccuracy).toBe(predicted.filter((p, i) => p === labels[i]).length / labels.length);
    expect(trainAccuracy).toBeGreaterThan(0.5);
  });

  it('names the classes that have no image', () => {
    expect(() =>
      prototypeHead(featureTensor([[1], [2]]), [0, 0], ['a', 'b', 'c'], { imagesPerClass: 1 }),
    ).toThrow('no image of class b, c among the 2 given');
  });
});
