import type { DType, Tensor } from '../tensor/tensor.js';

/** What a streaming writer must know before the first byte: every tensor's name, dtype and shape, in order. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * A streaming writer (one safetensors file, or shards plus index). Tensors are handed over one at a time,
 * in the declared order, so a merge never holds the whole model. Nothing appears at the destination
 * until `finish()` (temporary file, then rename); `abort()` removes the temporary files.
 */
export interface TensorSink {
  /** Writes the next declared tensor; its dtype, shape and name must match the declaration. */
  write(name: string, tensor: Tensor): void;
  finish(): void;
  abort(): void;
}
