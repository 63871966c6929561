import type { DType, Tensor } from '../tensor/tensor.js';

/** Name, dtype and shape of one stored tensor, known without reading its bytes. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Where a tensor's bytes lie: `length` bytes at `offset` of the file `path`, stored as `dtype`. */
export interface TensorLocation {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * A lazily read collection of named tensors (one safetensors file, a sharded checkpoint, a folder).
 * Reads are synchronous and by byte range: listing or reading one tensor never loads the whole file.
 */
export interface TensorSource {
  /** The file or folder it reads, for error messages. */
  readonly path: string;
  /** `__metadata__` (string → string); empty when absent. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor names in stored order. */
  names(): string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** The tensor in its stored dtype. */
  read(name: string): Tensor;
  /** The tensor converted to float32 (F16/BF16/F64 and integer types). */
  readF32(name: string): Float32Array;
  /** Where the tensor's bytes lie in a file, for reads on another thread; absent when not in one file. */
  locate?(name: string): TensorLocation;
  close(): void;
}
