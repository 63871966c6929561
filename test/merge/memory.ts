/** In-memory TensorSource / TensorSink fakes and a one-call merge over plain number arrays, for tests. */
import type { TensorEntry, TensorSink } from '../../src/io/tensor-sink.js';
import type { TensorInfo, TensorSource } from '../../src/io/tensor-source.js';
import type { StaticMergeMethod } from '../../src/merge/method.js';
import { planMerge } from '../../src/merge/plan.js';
import { type OutputDType, outputEntries, streamMerge } from '../../src/merge/stream.js';
import { toFloat32 } from '../../src/tensor/convert.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export class MemorySource implements TensorSource {
  readonly metadata = {};
  reads = 0;
  constructor(
    readonly path: string,
    private readonly tensors: Record<string, Tensor>,
  ) {}
  names(): string[] {
    return Object.keys(this.tensors);
  }
  has(name: string): boolean {
    return Object.hasOwn(this.tensors, name);
  }
  info(name: string): TensorInfo {
    const t = this.tensors[name];
    return { name, dtype: t.dtype, shape: t.shape };
  }
  read(name: string): Tensor {
    this.reads++;
    return this.tensors[name];
  }
  readF32(name: string): Float32Array {
    return Float32Array.from(toFloat32(this.read(name)));
  }
  close(): void {}
}

export class MemorySink implements TensorSink {
  readonly written: Record<string, Tensor> = {};
  state: 'open' | 'finished' | 'aborted' = 'open';
  constructor(readonly entries: TensorEntry[]) {}
  write(name: string, tensor: Tensor): void {
    const expected = this.entries[Object.keys(this.written).length];
    if (expected.name !== name || expected.dtype !== tensor.dtype)
      throw new Error(`unexpected write of ${name}`);
    this.written[name] = tensor;
  }
  finish(): void {
    this.state = 'finished';
  }
  abort(): void {
    this.state = 'aborted';
  }
}

export type StateDict = Record<string, { shape: number[]; values: number[] }>;

export function f32Tensors(dict: StateDict): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(dict).map(([name, t]) => [
      name,
      { dtype: 'F32', shape: t.shape, data: Float32Array.from(t.values) },
    ]),
  );
}

/** Flat state dict: each tensor a 1-D vector. */
export function vectors(values: Record<string, number[]>): StateDict {
  return Object.fromEntries(
    Object.entries(values).map(([name, v]) => [name, { shape: [v.length], values: v }]),
  );
}

/** Merges in-memory models with `method` through the real planner and streaming driver. */
export function mergeInMemory<P>(
  method: StaticMergeMethod<P>,
  rawParams: unknown,
  pretrained: StateDict,
  experts: Record<string, StateDict>,
  options: { seed?: number; outputDtype?: OutputDType } = {},
): Record<string, number[]> {
  const sources = {
    pretrained: new MemorySource('pretrained', f32Tensors(pretrained)),
    experts: Object.fromEntries(
      Object.entries(experts).map(([task, d]) => [task, new MemorySource(task, f32Tensors(d))]),
    ),
  };
  const plan = planMerge(sources);
  const params = method.params.parse(rawParams);
  const merger = method.createMerger(params, {
    tasks: plan.tasks,
    floatParams: plan.floatParams,
    seed: options.seed ?? 0,
  });
  const sink = new MemorySink(outputEntries(plan, options.outputDtype));
  streamMerge(sources, plan, merger, sink, { outputDtype: options.outputDtype });
  return Object.fromEntries(
    Object.entries(sink.written).map(([name, t]) => [name, Array.from(toFloat32(t))]),
  );
}

/** Values in [−0.5, 0.5). */
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
