import { describe, expect, it } from 'vitest';
import { Adam, clipGradNorm, cosineSchedule } from '../../src/optim/index.js';
import { float32, type Tensor } from '../../src/tensor/tensor.js';

const GRADS = [
  [0.5, -1, 2],
  [0.1, 0.3, -0.2],
  [-0.4, 0, 1.5],
  [0.25, -0.75, 0.05],
];

function closeTo(actual: ArrayLike<number>, expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (const [i, e] of expected.entries()) {
    expect(Math.abs(actual[i] - e), `[${i}] ${actual[i]} vs ${e}`).toBeLessThanOrEqual(tol);
  }
}

describe('Adam', () => {
  it('matches torch.optim.AdamW (lr 0.1, wd 0.01) step by step', () => {
    const w = float32([3], [1, -2, 0.5]);
    const adam = new Adam({ w }, { lr: 0.1, weightDecay: 0.01 });
    // torch 1.13 AdamW trajectory for these gradients, float32.
    const torch = [
      [0.8990000486373901, -1.8980000019073486, 0.3995000123977661],
      [0.8177969455718994, -1.8533172607421875, 0.33983564376831055],
      [0.8076092600822449, -1.8183910846710205, 0.2645626962184906],
      [0.7787063121795654, -1.7606436014175415, 0.20177008211612701],
    ];
    GRADS.forEach((g, i) => {
      adam.update({ w: float32([3], g) });
      closeTo(w.data as Float32Array, torch[i], 2e-7);
    });
    expect(adam.step).toBe(4);
  });

  it('resuming from a serialized state gives the same parameters bit for bit', () => {
    const run = (stopAt?: number): Float32Array => {
      let w: Tensor = float32([3], [1, -2, 0.5]);
      let adam = new Adam({ w }, { lr: 0.05 });
      GRADS.forEach((g, i) => {
        if (i === stopAt) {
          const state = JSON.parse(JSON.stringify({ meta: adam.state().meta }));
          const tensors = adam.state().tensors;
          w = float32([3], w.data as Float32Array);
          adam = new Adam({ w }, { lr: 0.05 });
          adam.loadState({ meta: state.meta, tensors });
        }
        adam.update({ w: float32([3], g) });
      });
      return w.data as Float32Array;
    };
    const straight = run();
    const resumed = run(2);
    expect(Buffer.from(resumed.buffer)).toEqual(Buffer.from(straight.buffer));
  });

  it('lrScale gives each parameter the trajectory of an Adam with lr × its multiplier', () => {
    const a = float32([3], [1, -2, 0.5]);
    const b = float32([3], [1, -2, 0.5]);
    const scaled = new Adam({ a, b }, { lr: 0.01, lrScale: { a: 8 } });
    const a8 = float32([3], [1, -2, 0.5]);
    const plain = new Adam({ a8 }, { lr: 0.08 });
    const b1 = float32([3], [1, -2, 0.5]);
    const unscaled = new Adam({ b1 }, { lr: 0.01 });
    for (const g of GRADS) {
      scaled.update({ a: float32([3], g), b: float32([3], g) });
      plain.update({ a8: float32([3], g) });
      unscaled.update({ b1: float32([3], g) });
    }
    expect([...a.data]).toEqual([...a8.data]);
    expect([...b.data]).toEqual([...b1.data]);
    const moved = (t: Tensor) => Math.abs((t.data as Float32Array)[0] - 1);
    expect(moved(a)).toBeGreaterThan(5 * moved(b));
  });

  it('rejects an lrScale for an unknown parameter or below 0', () => {
    const w = float32([2]);
    expect(() => new Adam({ w }, { lr: 0.1, lrScale: { v: 2 } })).toThrow(/lrScale\.v/);
    expect(() => new Adam({ w }, { lr: 0.1, lrScale: { w: -1 } })).toThrow(/lrScale\.w/);
  });

  it('rejects a gradient of the wrong size, naming the parameter', () => {
    const adam = new Adam({ 'router.weight': float32([2]) }, { lr: 0.1 });
    expect(() => adam.update({ 'router.weight': float32([3]) })).toThrow(/router\.weight/);
  });
});

describe('cosineSchedule', () => {
  it('warms up linearly then decays along a half cosine to minLr', () => {
    const lr = cosineSchedule({ lr: 1, steps: 110, warmup: 10, minLr: 0.1 });
    expect(lr(0)).toBeCloseTo(0.1, 12);
    expect(lr(9)).toBeCloseTo(1, 12);
    expect(lr(10)).toBeCloseTo(1, 12);
    expect(lr(60)).toBeCloseTo(0.55, 12);
    expect(lr(35)).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(lr(110)).toBeCloseTo(0.1, 12);
  });
});

describe('clipGradNorm', () => {
  it('scales to the max norm as torch.nn.utils.clip_grad_norm_ and returns the norm before', () => {
    const a = float32([2], [3, 4]);
    const b = float32([1], [12]);
    expect(clipGradNorm({ a, b }, 6.5)).toBe(13);
    closeTo(a.data as Float32Array, [1.4999998807907104, 1.9999998807907104], 1e-7);
    closeTo(b.data as Float32Array, [5.999999523162842], 1e-7);
  });

  it('leaves small gradients alone', () => {
    const a = float32([2], [0.3, 0.4]);
    expect(clipGradNorm({ a }, 1)).toBeCloseTo(0.5, 7);
    expect(Array.from(a.data as Float32Array)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
});
