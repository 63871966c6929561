/**
 * Reads the float tensors of every model in a known order, ahead of use: while the driver merges tensor
 * i, a worker thread copies tensors i + 1 and i + 2 of θ0 and of each expert from the page cache, into a
 * ring of memory that is reused (the arrays handed out for a tensor stay valid until the next one is
 * asked for). Models whose source cannot say where a tensor's bytes lie (in-memory sources) are read
 * synchronously when asked. A failed background read is done again synchronously, so its error is the
 * usual one, on the right tensor.
 */
import { BackgroundReader } from '../io/background-reader.js';
import { alignUp } from '../io/byte-ring.js';
import type { TensorInfo, TensorSource } from '../io/tensor-source.js';
import { toFloat32 } from '../tensor/convert.js';
import type { DType, TensorData } from '../tensor/tensor.js';
import type { MergePlan, MergeSources } from './plan.js';

/** Tensors read ahead of the one being merged: enough to smooth out a slow read, few enough to bound memory. */
const TENSORS_AHEAD = 2;

/** The most the ring may take, whatever the model: reads that do not fit get buffers of their own. */
const RING_MAX_BYTES = 1 << 30;

export interface ModelTensors {
  readonly pretrained: Float32Array;
  /** In task order. */
  readonly experts: Float32Array[];
}

/**
 * Bytes of a BackgroundReader ring that holds every read in flight at once (the tensor being merged and
 * those ahead, of every model read in the background), plus the room that may go unused at the wrap.
 */
export function readAheadRingBytes(
  sources: MergeSources,
  tasks: readonly string[],
  order: readonly TensorInfo[],
): number {
  const located = [sources.pretrained, ...tasks.map((task) => sources.experts[task])].filter(
    (source) => source.locate !== undefined,
  );
  const sets = order.map((info) =>
    located.reduce((sum, source) => sum + alignUp(source.locate!(info.name).length), 0),
  );
  let window = 0;
  for (let i = 0; i < sets.length; i++) {
    const inFlight = sets.slice(i, i + TENSORS_AHEAD + 1).reduce((sum, bytes) => sum + bytes, 0);
    window = Math.max(window, inFlight);
  }
  return Math.min(RING_MAX_BYTES, window + Math.max(0, ...sets));
}

/** The reader a merge reads ahead with. */
export interface MergeReader {
  readonly reader: BackgroundReader;
  /** Ends the reader's worker. */
  close(): void;
}

/**
 * The reader a merge reads ahead with, its ring sized to the reads in flight; null when no source can say
 * where its tensors' bytes lie (all are read synchronously).
 */
export function mergeReader(sources: MergeSources, plan: MergePlan): MergeReader | null {
  const models = [sources.pretrained, ...Object.values(sources.experts)];
  if (!models.some((m) => m.locate !== undefined)) return null;
  const reader = new BackgroundReader({
    ringBytes: readAheadRingBytes(sources, plan.tasks, plan.floatTensors),
  });
  return { reader, close: () => reader.close() };
}

export class ReadAhead {
  /** θ0, then the experts in task order. */
  private readonly models: readonly TensorSource[];
  /** Tickets of the reads started for a tensor, per model (undefined: read synchronously). */
  private readonly started = new Map<string, (number | undefined)[]>();
  /** Tickets of the tensor handed out last, released when the next one is asked for. */
  private handedOut: (number | undefined)[] = [];
  private position = 0;

  constructor(
    sources: MergeSources,
    tasks: readonly string[],
    private readonly order: readonly TensorInfo[],
    private readonly reader: BackgroundReader | null,
  ) {
    this.models = [sources.pretrained, ...tasks.map((task) => sources.experts[task])];
  }

  /**
   * Every model's tensor `name`, which must be the next in the order; starts reading the ones after. The
   * arrays are valid until the next call (or `close`).
   */
  next(name: string): ModelTensors {
    const info = this.order[this.position];
    if (info?.name !== name) {
      throw new RangeError(`read-ahead: asked for '${name}', next in order is '${info?.name ?? '(end)'}'`);
    }
    this.position++;
    this.close();
    for (const ahead of this.order.slice(this.position - 1, this.position + TENSORS_AHEAD)) this.start(ahead);
    const tickets = this.started.get(name)!;
    this.started.delete(name);
    this.handedOut = tickets;
    const [pretrained, ...experts] = this.models.map((source, m) => this.finish(source, info, tickets[m]));
    return { pretrained, experts };
  }

  /** Releases the memory of the tensor handed out last. */
  close(): void {
    for (const ticket of this.handedOut) if (ticket !== undefined) this.reader?.release(ticket);
    this.handedOut = [];
  }

  /** Requests every located model's copy of the tensor at once. */
  private start(info: TensorInfo): void {
    if (this.started.has(info.name)) return;
    const tickets: (number | undefined)[] = this.models.map(() => undefined);
    if (this.reader !== null) {
      const located = [...this.models.keys()].filter((m) => this.models[m].locate !== undefined);
      const requested = this.reader.requestAll(located.map((m) => this.models[m].locate!(info.name)));
      for (const [k, m] of located.entries()) tickets[m] = requested[k];
    }
    this.started.set(info.name, tickets);
  }

  private finish(source: TensorSource, info: TensorInfo, ticket: number | undefined): Float32Array {
    const bytes = ticket === undefined || this.reader === null ? null : this.reader.take(ticket);
    if (bytes === null) return source.readF32(info.name);
    const { dtype, shape } = source.info(info.name);
    return toFloat32({ dtype, shape: [...shape], data: floatView(dtype, bytes) });
  }
}

/** The float values of `bytes` (at an offset suited to the dtype), without a copy. */
export function floatView(dtype: DType, bytes: Uint8Array): TensorData {
  const { buffer, byteOffset, byteLength } = bytes;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buffer, byteOffset, byteLength / 4);
    case 'F64':
      return new Float64Array(buffer, byteOffset, byteLength / 8);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buffer, byteOffset, byteLength / 2);
    default:
      throw new RangeError(`read-ahead: ${dtype} is not a float dtype`);
  }
}
