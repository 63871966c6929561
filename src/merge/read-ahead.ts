/**
 * Reads the float tensors of every model in a known order, ahead of use: while the driver merges tensor
 * i, a worker thread copies tensors i + 1 and i + 2 of θ0 and of each expert from the page cache. Models
 * whose source cannot say where a tensor's bytes lie (in-memory sources) are read synchronously when
 * asked. A failed background read is done again synchronously, so its error is the usual one, on the
 * right tensor.
 */
import type { BackgroundReader } from '../io/background-reader.js';
import { typedView } from '../io/safetensors-reader.js';
import type { TensorInfo, TensorSource } from '../io/tensor-source.js';
import { toFloat32 } from '../tensor/convert.js';
import type { MergeSources } from './plan.js';

/** Tensors read ahead of the one being merged: enough to smooth out a slow read, few enough to bound memory. */
const TENSORS_AHEAD = 2;

export interface ModelTensors {
  readonly pretrained: Float32Array;
  /** In task order. */
  readonly experts: Float32Array[];
}

export class ReadAhead {
  /** θ0, then the experts in task order. */
  private readonly models: readonly TensorSource[];
  /** Tickets of the reads started for a tensor, per model (undefined: read synchronously). */
  private readonly started = new Map<string, (number | undefined)[]>();
  private position = 0;

  constructor(
    sources: MergeSources,
    tasks: readonly string[],
    private readonly order: readonly TensorInfo[],
    private readonly reader: BackgroundReader | null,
  ) {
    this.models = [sources.pretrained, ...tasks.map((task) => sources.experts[task])];
  }

  /** Every model's tensor `name`, which must be the next in the order; starts reading the one after. */
  next(name: string): ModelTensors {
    const info = this.order[this.position];
    if (info?.name !== name) {
      throw new RangeError(`read-ahead: asked for '${name}', next in order is '${info?.name ?? '(end)'}'`);
    }
    this.position++;
    for (const ahead of this.order.slice(this.position - 1, this.position + TENSORS_AHEAD)) this.start(ahead);
    const tickets = this.started.get(name)!;
    this.started.delete(name);
    const [pretrained, ...experts] = this.models.map((source, m) => this.finish(source, info, tickets[m]));
    return { pretrained, experts };
  }

  private start(info: TensorInfo): void {
    if (this.started.has(info.name)) return;
    const reader = this.reader;
    this.started.set(
      info.name,
      this.models.map((source) =>
        reader !== null && source.locate !== undefined ? reader.request(source.locate(info.name)) : undefined,
      ),
    );
  }

  private finish(source: TensorSource, info: TensorInfo, ticket: number | undefined): Float32Array {
    const buffer = ticket === undefined || this.reader === null ? null : this.reader.take(ticket);
    if (buffer === null) return source.readF32(info.name);
    const { dtype, shape } = source.info(info.name);
    return toFloat32({ dtype, shape: [...shape], data: typedView(dtype, buffer) });
  }
}
