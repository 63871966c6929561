import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/data/random.js';
import { taskArithmeticMethod } from '../../src/merge/task-arithmetic.js';
import { taskArithmetic } from '../../src/tensor/task-arithmetic.js';

describe('taskArithmetic (plain loops)', () => {
  it('is θ0 + λ·Σ τ on known values', () => {
    const out = taskArithmetic(
      Float32Array.from([1, 2, 3]),
      [Float32Array.from([2, 2, 5]), Float32Array.from([1, 6, 1])],
      0.5,
    );
    expect([...out]).toEqual([1.5, 4, 3]);
  });

  it('equals the task_arithmetic merge method bit for bit, odd lengths and many tasks included', () => {
    const random = createRandom(7);
    const merger = taskArithmeticMethod.createMerger(
      { scaling_factor: 0.3 },
      { tasks: [], floatParams: 0, seed: 0 },
    );
    for (const [n, t] of [
      [1, 1],
      [7, 3],
      [1029, 8],
    ]) {
      const draw = () => Float32Array.from({ length: n }, () => random.normal());
      const pretrained = draw();
      const experts = Array.from({ length: t }, draw);
      const tasks = experts.map((_, k) => `t${k}`);
      const expected = merger.merge({ name: 'w', shape: [n], pretrained, experts, tasks });
      expect(taskArithmetic(pretrained, experts, 0.3)).toEqual(expected);
    }
  });
});
