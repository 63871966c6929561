/**
 * T5's relative position buckets (Hugging Face's T5Attention._relative_position_bucket): small distances
 * get a bucket each, larger ones share logarithmically wider buckets up to max_distance. Computed on the
 * host and fed to the graph as indices; the logarithm is done in float32 as PyTorch does, so that
 * boundary distances land in the same bucket.
 */
import type { Tensor } from '../../tensor/tensor.js';

export interface BucketOptions {
  /** Encoder: the sign of the distance picks a half of the buckets; decoder: only the past counts. */
  readonly bidirectional: boolean;
  readonly numBuckets: number;
  readonly maxDistance: number;
}

const f32 = Math.fround;

/** The bucket of `relative = key position − query position`. */
export function relativePositionBucket(relative: number, options: BucketOptions): number {
  let buckets = options.numBuckets;
  let offset = 0;
  let distance: number;
  if (options.bidirectional) {
    buckets = Math.floor(buckets / 2);
    if (relative > 0) offset = buckets;
    distance = Math.abs(relative);
  } else {
    distance = -Math.min(relative, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  if (distance < maxExact) return offset + distance;
  // float32 throughout: log(d / maxExact) / log(maxDistance / maxExact) · (buckets − maxExact)
  const ratio = f32(f32(Math.log(f32(distance / maxExact))) / f32(Math.log(options.maxDistance / maxExact)));
  const large = maxExact + Math.trunc(f32(ratio * (buckets - maxExact)));
  return offset + Math.min(large, buckets - 1);
}

/**
 * Buckets [Q, K] (I64) for queries at positions `queryStart`.. `queryStart + Q − 1` over keys at
 * positions 0.. K − 1 (a decoder step with a cache has queryStart = K − Q).
 */
export function positionBuckets(
  queryLength: number,
  keyLength: number,
  options: BucketOptions & { readonly queryStart?: number },
): Tensor {
  const start = options.queryStart ?? 0;
  const data = new BigInt64Array(queryLength * keyLength);
  for (let q = 0; q < queryLength; q++) {
    for (let k = 0; k < keyLength; k++)
      data[q * keyLength + k] = BigInt(relativePositionBucket(k - (start + q), options));
  }
  return { dtype: 'I64', shape: [queryLength, keyLength], data };
}

/** Additive causal mask [Q, K] (F32): 0 where key ≤ query position, the float32 minimum above. */
export function causalBias(queryLength: number, keyLength: number, queryStart = 0): Tensor {
  const data = new Float32Array(queryLength * keyLength);
  for (let q = 0; q < queryLength; q++) {
    for (let k = 0; k < keyLength; k++) if (k > queryStart + q) data[q * keyLength + k] = F32_MIN;
  }
  return { dtype: 'F32', shape: [queryLength, keyLength], data };
}

/** torch.finfo(torch.float32).min: Hugging Face's additive value for masked positions. */
export const F32_MIN = -3.4028234663852886e38;
