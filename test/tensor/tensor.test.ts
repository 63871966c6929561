import { describe, expect, it } from 'vitest';
import { float32, isDType, numel } from '../../src/tensor/tensor.js';

describe('tensor', () => {
  it('counts elements, rank 0 included', () => {
    expect(numel([])).toBe(1);
    expect(numel([2, 3, 4])).toBe(24);
    expect(numel([5, 0])).toBe(0);
  });
  it('checks float32 storage length against the shape', () => {
    expect(float32([2], [1, 2]).data).toEqual(new Float32Array([1, 2]));
    expect(() => float32([3], [1, 2])).toThrow(/\[3\] needs 3 values, got 2/);
  });
  it('recognises dtypes', () => {
    expect(isDType('BF16')).toBe(true);
    expect(isDType('F8')).toBe(false);
  });
});
