/**
 * In-memory TensorSource and TensorSink, so that the streaming merge driver (merge/stream.ts) can merge
 * models that are already in memory (the demo's suite) exactly as it merges files.
 */
import { WemoeError } from '../errors.js';
import { toFloat32 } from '../tensor/convert.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TensorEntry, TensorSink } from './tensor-sink.js';
import type { TensorInfo, TensorSource } from './tensor-source.js';

/** A read-only view of named tensors (stored order = the map's order). */
export class MemorySource implements TensorSource {
  readonly metadata: Readonly<Record<string, string>> = {};

  constructor(
    /** A name for error messages, e.g. "expert mnist". */
    readonly path: string,
    private readonly tensors: ReadonlyMap<string, Tensor>,
  ) {}

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const t = this.tensor(name);
    return { name, dtype: t.dtype, shape: t.shape };
  }

  read(name: string): Tensor {
    return this.tensor(name);
  }

  /** A float32 copy (methods may keep or change what they are given). */
  readF32(name: string): Float32Array {
    return Float32Array.from(toFloat32(this.tensor(name)));
  }

  close(): void {}

  private tensor(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new WemoeError(`${this.path}: no tensor ${name}`);
    return t;
  }
}

/** Collects the written tensors in a map; checks they arrive as declared. */
export class MemorySink implements TensorSink {
  readonly tensors = new Map<string, Tensor>();
  private finished = false;

  constructor(private readonly entries: readonly TensorEntry[]) {}

  write(name: string, tensor: Tensor): void {
    const expected = this.entries[this.tensors.size];
    if (expected?.name !== name || expected.dtype !== tensor.dtype) {
      throw new WemoeError(
        `memory sink: got ${name} (${tensor.dtype}), expected ${expected ? `${expected.name} (${expected.dtype})` : 'no more tensors'}`,
      );
    }
    this.tensors.set(name, tensor);
  }

  finish(): void {
    if (this.tensors.size !== this.entries.length) {
      throw new WemoeError(
        `memory sink: ${this.tensors.size} of ${this.entries.length} declared tensors were written`,
      );
    }
    this.finished = true;
  }

  abort(): void {
    this.tensors.clear();
  }

  /** The merged model; only after `finish()`. */
  result(): Map<string, Tensor> {
    if (!this.finished) throw new WemoeError('memory sink: the merge did not finish');
    return this.tensors;
  }
}
