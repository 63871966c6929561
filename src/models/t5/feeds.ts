/** Host-side inputs of the T5 graphs: checked token ids and masks, position buckets, causal masks. */
import { WemoeError } from '../../errors.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import type { T5Config } from './config.js';
import { causalBias, positionBuckets } from './position-bucket.js';

/** A 0/1 I64 mask of ones in the shape of `ids`. */
export function onesLike(ids: Tensor): Tensor {
  return { dtype: 'I64', shape: ids.shape, data: new BigInt64Array(ids.data.length).fill(1n) };
}

/** Rows of ids as an I64 [B, S] tensor (rows of equal length). */
export function i64(rows: readonly (readonly number[])[]): Tensor {
  const width = rows[0]?.length ?? 0;
  return { dtype: 'I64', shape: [rows.length, width], data: BigInt64Array.from(rows.flat().map(BigInt)) };
}

/** `name` must be I64 [B, S] (B, S ≥ 1) with every id in [0, vocab). */
export function checkTokenIds(name: string, ids: Tensor, vocabSize: number): void {
  if (ids.dtype !== 'I64' || ids.shape.length !== 2 || ids.shape[1] === 0 || ids.shape[0] === 0)
    throw new WemoeError(
      `${name}: expected I64 [B, S] with B, S ≥ 1, got ${ids.dtype} ${shapeString(ids.shape)}`,
    );
  const vocab = BigInt(vocabSize);
  const bad = (ids.data as BigInt64Array).findIndex((id) => id < 0n || id >= vocab);
  if (bad >= 0)
    throw new WemoeError(`${name}: token id ${ids.data[bad]} at element ${bad} is outside [0, ${vocab})`);
}

/** attention_mask must be 0/1 I64 in the shape of input_ids. */
export function checkAttentionMask(mask: Tensor, ids: Tensor): void {
  if (mask.dtype !== 'I64' || shapeString(mask.shape) !== shapeString(ids.shape))
    throw new WemoeError(
      `attention_mask: expected I64 ${shapeString(ids.shape)} as input_ids, got ${mask.dtype} ${shapeString(mask.shape)}`,
    );
  if ((mask.data as BigInt64Array).some((v) => v !== 0n && v !== 1n))
    throw new WemoeError('attention_mask: expected only 0 and 1');
}

function bucketOptions(config: T5Config) {
  return { numBuckets: config.relativeAttentionNumBuckets, maxDistance: config.relativeAttentionMaxDistance };
}

/** `encoder_buckets` [S, S] of an input of `length` tokens. */
export function encoderPositionFeeds(config: T5Config, length: number): Record<string, Tensor> {
  return {
    encoder_buckets: positionBuckets(length, length, { bidirectional: true, ...bucketOptions(config) }),
  };
}

/** Causal buckets [Q, K] of queries at queryStart.. over keys 0..K−1. */
export function decoderBuckets(config: T5Config, queries: number, keys: number, queryStart: number): Tensor {
  return positionBuckets(queries, keys, { bidirectional: false, ...bucketOptions(config), queryStart });
}

/** `decoder_buckets` and `decoder_causal_bias` [S', S'] of `length` decoder tokens without a cache. */
export function decoderPositionFeeds(config: T5Config, length: number): Record<string, Tensor> {
  return {
    decoder_buckets: decoderBuckets(config, length, length, 0),
    decoder_causal_bias: causalBias(length, length),
  };
}
