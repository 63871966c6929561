import { describe, expect, it } from 'vitest';
import {
  causalBias,
  F32_MIN,
  positionBuckets,
  relativePositionBucket,
} from '../../../src/models/t5/position-bucket.js';

// t5-base's settings: 32 buckets, max distance 128.
const encoder = { bidirectional: true, numBuckets: 32, maxDistance: 128 };
const decoder = { bidirectional: false, numBuckets: 32, maxDistance: 128 };

describe('relative position buckets', () => {
  it('match hand-computed values (bidirectional: 16 per direction, 8 exact)', () => {
    // relative → bucket; large d: 8 + ⌊ln(d/8)/ln(16)·8⌋, keys after the query add 16, capped at 15 (+16).
    const cases: [number, number][] = [
      [0, 0],
      [-1, 1],
      [-7, 7],
      [1, 17],
      [7, 23],
      [-8, 8], // ln 1 = 0
      [-12, 9], // ln 1.5 / ln 16 · 8 = 1.17
      [-16, 10], // exactly 2 in float32
      [-20, 10], // 2.64
      [-32, 12], // 4
      [-127, 15], // 7.98
      [-128, 15], // 8, capped at 15
      [-1000, 15],
      [20, 26],
      [500, 31],
    ];
    for (const [relative, bucket] of cases)
      expect(relativePositionBucket(relative, encoder), `${relative}`).toBe(bucket);
  });

  it('match hand-computed values (causal: 32 for the past, 16 exact, the future in bucket 0)', () => {
    // large d: 16 + ⌊ln(d/16)/ln(8)·16⌋, capped at 31.
    const cases: [number, number][] = [
      [5, 0],
      [0, 0],
      [-5, 5],
      [-15, 15],
      [-16, 16],
      [-32, 21], // ln 2 / ln 8 · 16 = 5.33
      [-64, 26], // 10.67
      [-100, 30], // 14.10
      [-128, 31],
    ];
    for (const [relative, bucket] of cases)
      expect(relativePositionBucket(relative, decoder), `${relative}`).toBe(bucket);
  });

  it('lays out [Q, K] buckets of key − query, with a query offset for cached decoding', () => {
    const small = { bidirectional: true, numBuckets: 8, maxDistance: 12 };
    const t = positionBuckets(2, 3, small);
    expect(t.shape).toEqual([2, 3]);
    // rows: query 0 → keys 0,1,2 (0, +1, +2); query 1 → (−1, 0, +1)
    expect(Array.from(t.data as BigInt64Array, Number)).toEqual([0, 5, 6, 1, 0, 5]);
    const step = positionBuckets(1, 4, { ...decoder, queryStart: 3 });
    expect(Array.from(step.data as BigInt64Array, Number)).toEqual([3, 2, 1, 0]);
  });

  it('masks keys after the query in the causal bias', () => {
    expect(Array.from(causalBias(2, 3).data as Float32Array)).toEqual(
      [0, F32_MIN, F32_MIN, 0, 0, F32_MIN].map(Math.fround),
    );
    expect(Array.from(causalBias(1, 3, 2).data as Float32Array)).toEqual([0, 0, 0]);
  });
});
