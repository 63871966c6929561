import { describe, expect, it } from 'vitest';
import { averageScore, RoutingStats } from '../../src/eval/summaries.js';

describe('averageScore', () => {
  it('takes the unweighted mean over the listed tasks only', () => {
    const perTask = {
      a: { accuracy: 0.9, loss: 0.2 },
      b: { accuracy: 0.5, loss: 1 },
      c: { accuracy: 0, loss: 9 },
    };
    const mean = averageScore(perTask, ['a', 'b']);
    expect(mean.accuracy).toBeCloseTo(0.7, 12);
    expect(mean.loss).toBeCloseTo(0.6, 12);
    expect(() => averageScore(perTask, ['a', 'd'])).toThrow(/no score for task "d"/);
  });
});

describe('RoutingStats', () => {
  it('averages routing weights [L, B, T] over the samples of each task', () => {
    const stats = new RoutingStats([3, 7], ['x', 'y'], ['p', 'q']);
    // Task p, batch of 2: layer 3 rows (1, 2), (3, 4); layer 7 rows (0, 0), (2, 2).
    stats.add('p', new Float32Array([1, 2, 3, 4, 0, 0, 2, 2]), 2);
    // Task p again, batch of 1: layer 3 (5, 6); layer 7 (4, 1).
    stats.add('p', new Float32Array([5, 6, 4, 1]), 1);
    stats.add('q', new Float32Array([-1, 0.5, 0.25, 0.75]), 1);
    expect(stats.summary()).toEqual({
      layers: [3, 7],
      experts: ['x', 'y'],
      tasks: ['p', 'q'],
      mean_weights: [
        [
          [3, 4],
          [-1, 0.5],
        ],
        [
          [2, 1],
          [0.25, 0.75],
        ],
      ],
    });
  });

  it('names the problem with sizes, unknown tasks and tasks without samples', () => {
    const stats = new RoutingStats([0], ['x', 'y'], ['p', 'q']);
    expect(() => stats.add('p', new Float32Array(3), 2)).toThrow(
      /has 3 values, expected \[L, B, T\] = \[1, 2, 2\]/,
    );
    expect(() => stats.add('z', new Float32Array(2), 1)).toThrow(/unknown task "z"/);
    stats.add('p', new Float32Array(2), 1);
    expect(() => stats.summary()).toThrow(/no samples of task "q"/);
  });
});
