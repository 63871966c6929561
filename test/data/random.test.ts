import { describe, expect, it } from 'vitest';
import { createRandom, deriveSeed, mulberry32, shuffleInPlace } from '../../src/data/random.js';

describe('random', () => {
  it('repeats the same stream for the same seed and differs for another', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const random = createRandom(7);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = random.uniform();
      if (u < 0 || u >= 1) outside++;
      sum += u;
      sumSq += u * u;
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sumSq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
  });

  it('draws normals with mean 0, variance 1 and ~68.3% within one sigma', () => {
    const random = createRandom(11);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let within = 0;
    for (let i = 0; i < n; i++) {
      const z = random.normal();
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) < 1) within++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(sumSq / n).toBeCloseTo(1, 1);
    expect(within / n).toBeCloseTo(0.6827, 2);
  });

  it('derives distinct per-item seeds and shuffles into a permutation', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(5, i)));
    expect(seeds.size).toBe(1000);
    expect(deriveSeed(5, 3)).toBe(deriveSeed(5, 3));
    expect(deriveSeed(5, 3)).not.toBe(deriveSeed(6, 3));
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = shuffleInPlace([...items], createRandom(1));
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
    expect(createRandom(2).int(10)).toBeLessThan(10);
    const between = createRandom(2).between(-45, 45);
    expect(between >= -45 && between < 45).toBe(true);
  });
});
