/**
 * Runs the Ties entry kernel's `span` (ties-span-code.ts) over the entries of a tensor whose inputs lie in
 * a kernel arena (the merge driver's read-ahead ring), split between this thread and a worker thread that
 * runs the same WebAssembly module in the same shared memory, with a scratch region of its own. The merged
 * values go to the arena's work region (or straight to an output that lies in it), each thread's records
 * of the entries it left provisional to a part of the region of its own (and its fine counts to another);
 * the records are returned in entry order, so what the caller does with them does not depend on the split.
 *
 * One kernel worker per arena (SpanWorker: it runs any export of the module, in order; also the touch of
 * `prefault` and the finalize of ties-records-kernel.ts), started on first use and ended by
 * `closeSpanWorker`. A worker that fails (an exception there) or stops answering is an error that ends
 * the merge: its part of the results and of the fine counts is unknown. A worker ended before a span
 * (closeSpanWorker) leaves the span to this thread.
 */
import { Worker } from 'node:worker_threads';
import { WemoeError } from '../../errors.js';
import {
  type KernelArena,
  memoryOf,
  TIES_SCRATCH,
  TIES_WORKER_SCRATCH,
  type WasmMemory,
  wasm,
  workRegionOf,
} from './kernel-memory.js';
import { checkedTiesLayout, recordBytes, SPAN_MAX_TASKS, type TiesLayout } from './ties-layout.js';
import type { TiesBlock } from './ties-simd.js';
import { tiesSimdModule } from './ties-span-code.js';

/**
 * Plain CommonJS run by the worker: calls the export `fn` of its instance with `args` for each job, then
 * stores the result (as i32) and the job's id (−id on an exception, and for every job after one).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { memory, module, signal } = workerData;
const { exports } = new WebAssembly.Instance(module, { env: { memory } });
const done = new Int32Array(signal);
let failed = false;
parentPort.on('message', ({ id, fn, args }) => {
  let result = -id;
  try {
    if (!failed) {
      Atomics.store(done, 1, exports[fn](...args) | 0);
      result = id;
    }
  } catch {
    failed = true;
  }
  Atomics.store(done, 0, result);
  Atomics.notify(done, 0);
});
`;

/** Spans shorter than this run on this thread alone: a worker's round trip would cost more than it saves. */
export const SHARED_SPAN_MIN = 1 << 16;
/** Bytes of work region per entry: the merged value, and room in both threads' records for every entry. */
const workBytesPerEntry = (tasks: number) => 4 + 2 * recordBytes(tasks);
/** Longest single wait before looking at the clock again. */
const WAIT_SLICE_MS = 20;
const DEFAULT_STALL_MS = 60_000;

const mainLayout = checkedTiesLayout(TIES_SCRATCH);
const workerLayout = checkedTiesLayout(TIES_WORKER_SCRATCH);
let workerModule: object | null = null;

export const MODES = { sum: 0, mean: 1, max: 2 } as const;

/** What a span merges: inputs in place, each task's bounds, how (mode and tie as `span` takes them). */
export interface SpanInputs {
  readonly pretrained: Float32Array;
  readonly base: Float32Array;
  readonly arrays: readonly Float32Array[];
  readonly lowBits: Int32Array;
  readonly highBits: Int32Array;
  readonly mode: number;
  readonly lambda: number;
  readonly tie: number;
  /** Per task, the bucket whose fine counts spans keep (see boundaryCounts), or null for none. */
  readonly buckets: Int32Array | null;
}

/** What spans over a tensor's entries give besides the merged values. */
export interface SpanResult {
  readonly votes: number;
  /** In entry order. */
  readonly records: SpanRecords[];
  /** Per task, how many |τt| have bits ≥ highBits[t] (kept for sure), and how many τt are NaN or ±Inf. */
  readonly keeps: Float64Array;
  readonly nonFinite: Float64Array;
}

/** Records a span wrote: `count` of them, 1 + tasks words each, from byte `from` of `buffer`. */
export interface SpanRecords {
  readonly buffer: SharedArrayBuffer;
  readonly from: number;
  readonly count: number;
}

/**
 * Where spans of a tensor can run in place: its memory, and the entries they cover. The work region
 * holds each thread's fine counts (histogramBytes), then the merged values and each thread's records
 * (room for `capacity` entries each).
 */
export interface SpanTarget {
  readonly memory: WasmMemory;
  /** Entries [0, covered) run as spans (a multiple of 4); the caller merges the rest. */
  readonly covered: number;
  readonly capacity: number;
  /** Byte offsets of the merged values and of each thread's records. */
  readonly outAt: number;
  readonly listsAt: readonly [number, number];
}

/** Bytes of work region for spans of up to `entries` entries of `tasks` tasks. */
export function spanWorkBytes(entries: number, tasks: number): number {
  return 2 * histogramBytes(tasks) + Math.ceil(entries / 16) * 16 * workBytesPerEntry(tasks);
}

/** Bytes of one thread's fine counts: 65536 i32 per task. */
const histogramBytes = (tasks: number) => tasks << 18;

/** The target when every input of n entries lies in one arena whose work region has room, else null. */
export function spanTarget(inputs: readonly Float32Array[], taskCount: number, n: number): SpanTarget | null {
  const covered = n & ~3;
  if (covered === 0 || taskCount === 0 || taskCount > SPAN_MAX_TASKS) return null;
  const memory = memoryOf(inputs[0].buffer);
  const work = memory && workRegionOf(memory);
  if (memory === undefined || work === undefined) return null;
  if (inputs.some((input) => input.buffer !== inputs[0].buffer)) return null;
  const room = work.bytes - 2 * histogramBytes(taskCount);
  const capacity = Math.floor(Math.max(0, room) / workBytesPerEntry(taskCount)) & ~15;
  if (capacity < n) return null;
  const outAt = work.offset + 2 * histogramBytes(taskCount);
  const listAt = outAt + 4 * capacity;
  const lists = [listAt, listAt + recordBytes(taskCount) * capacity] as const;
  return { memory, covered, capacity, outAt, listsAt: lists };
}

/** The n entries of the target's work region where merged values go (valid until its next span). */
export function workOutput(target: SpanTarget, n: number): Float32Array {
  return new Float32Array(target.memory.buffer, target.outAt, n);
}

/**
 * Merges entries [0, target.covered) into `out` (in the target's memory): part here, part on the worker
 * when the span is long enough; returns the votes, the records (in entry order) and the kept counts.
 */
export function runSpans(
  block: TiesBlock,
  target: SpanTarget,
  inputs: SpanInputs,
  out: Float32Array,
): SpanResult {
  const { memory, covered } = target;
  const bytes = recordBytes(inputs.arrays.length);
  const lists = target.listsAt;
  const half = (covered >>> 1) & ~3;
  const worker = covered >= SHARED_SPAN_MIN ? spanWorkerFor(memory) : null;
  const job = worker && startOnWorker(worker, memory, inputs, half, covered - half, out, lists[1]);
  const split = job === null ? covered : half;
  const records = (from: number, layout: TiesLayout) => ({
    buffer: memory.buffer,
    from,
    count: (readI32(memory, layout.SPAN_LIST_END) - from) / bytes,
  });
  const here = (first: number, n: number, list: number) => {
    writeTables(memory, mainLayout, inputs, first, 0);
    const { arrays, mode, lambda, tie } = inputs;
    const at = out.byteOffset + 4 * first;
    const votes = block.span(n, arrays.length, mode, lambda, at, list, tie, first);
    return { votes, records: records(list, mainLayout) };
  };
  const tasks = inputs.arrays.length;
  const mine = here(0, split, lists[0]);
  const keeps = spanCounts(memory, mainLayout.SPAN_KEEPS, tasks);
  const nonFinite = spanCounts(memory, mainLayout.SPAN_NON_FINITES, tasks);
  const result = { votes: mine.votes, records: [mine.records], keeps, nonFinite };
  if (worker === null || job === null) return result;
  worker.wait(job);
  const theirKeeps = spanCounts(memory, workerLayout.SPAN_KEEPS, tasks);
  const theirNonFinite = spanCounts(memory, workerLayout.SPAN_NON_FINITES, tasks);
  for (let t = 0; t < tasks; t++) {
    keeps[t] += theirKeeps[t];
    nonFinite[t] += theirNonFinite[t];
  }
  const votes = mine.votes + readI32(memory, workerLayout.SPAN_VOTES);
  return { ...result, votes, records: [mine.records, records(lists[1], workerLayout)] };
}

/** Per task, the count the last span kept in four lanes from byte `at` (their sum). */
function spanCounts(memory: WasmMemory, at: number, tasks: number): Float64Array {
  const lanes = new Int32Array(memory.buffer, at, 4 * tasks);
  return Float64Array.from({ length: tasks }, (_, t) => {
    const lane = 4 * t;
    return lanes[lane] + lanes[lane + 1] + lanes[lane + 2] + lanes[lane + 3];
  });
}

/**
 * Has the kernel worker of `arena` touch every page of its held region while it is not in use yet (the
 * merge's first pass): a first write to a page costs a page fault (several µs here), which is then paid
 * on a thread with time to spare instead of in the spans. `awaitPrefault` must return before anything is
 * written there. Returns the job's id, or null when no worker could take it.
 */
export function prefault(arena: KernelArena): number | null {
  const { held } = arena;
  return spanWorkerFor(memoryOf(arena.buffer)!).start('touch', [held.offset, held.bytes]);
}

export function awaitPrefault(arena: KernelArena, id: number): void {
  spanWorkerFor(memoryOf(arena.buffer)!).wait(id);
}

/** Where thread k (0 here, 1 the worker) keeps its fine counts: 65536 i32 per task. */
function histogramsAt(memory: WasmMemory, tasks: number, k: number): number {
  return workRegionOf(memory)!.offset + k * histogramBytes(tasks);
}

/**
 * The fine counts spans kept in `memory` since the last call (task t's count of low 16 bits b at
 * [t · 65536 + b]), summed over both threads; they start again from zero.
 */
export function boundaryCounts(memory: WasmMemory, tasks: number): Int32Array {
  const [mine, theirs] = [0, 1].map(
    (k) => new Int32Array(memory.buffer, histogramsAt(memory, tasks, k), tasks << 16),
  );
  const sum = mine.slice();
  for (let i = 0; i < sum.length; i++) sum[i] += theirs[i];
  mine.fill(0);
  theirs.fill(0);
  return sum;
}

function readI32(memory: WasmMemory, at: number): number {
  return new Int32Array(memory.buffer, at, 1)[0];
}

/**
 * The span's input addresses (from entry `first` on), bounds, buckets and fine counts (those of thread
 * k), in the scratch of `layout`.
 */
function writeTables(
  memory: WasmMemory,
  layout: TiesLayout,
  inputs: SpanInputs,
  first: number,
  k: number,
): void {
  const { arrays, buckets } = inputs;
  const tables = new Int32Array(memory.buffer, layout.SPAN_BUCKETS, arrays.length + 1);
  if (buckets === null) tables.fill(-1, 0, arrays.length);
  else tables.set(buckets.subarray(0, arrays.length));
  new Int32Array(memory.buffer, layout.SPAN_HISTOGRAMS, 1)[0] = histogramsAt(memory, arrays.length, k);
  const addresses = new Int32Array(memory.buffer, layout.SPAN_INPUTS, 2 + arrays.length);
  addresses[0] = inputs.base.byteOffset + 4 * first;
  addresses[1] = inputs.pretrained.byteOffset + 4 * first;
  for (let t = 0; t < arrays.length; t++) addresses[2 + t] = arrays[t].byteOffset + 4 * first;
  new Int32Array(memory.buffer, layout.SPAN_LOWS, arrays.length).set(
    inputs.lowBits.subarray(0, arrays.length),
  );
  new Int32Array(memory.buffer, layout.SPAN_HIGHS, arrays.length).set(
    inputs.highBits.subarray(0, arrays.length),
  );
}

function startOnWorker(
  worker: SpanWorker,
  memory: WasmMemory,
  inputs: SpanInputs,
  first: number,
  n: number,
  out: Float32Array,
  listAt: number,
): number | null {
  writeTables(memory, workerLayout, inputs, first, 1);
  const { mode, lambda, tie } = inputs;
  const outAt = out.byteOffset + 4 * first;
  return worker.start('span', [n, inputs.arrays.length, mode, lambda, outAt, listAt, tie, first]);
}

let liveWorkers = 0;

/** Span workers started and not yet ended (a merge leaves none behind). */
export function liveSpanWorkers(): number {
  return liveWorkers;
}

export class SpanWorker {
  readonly worker: Worker;
  /** The id of the last job done (−id when it threw), and its result. */
  private readonly done = new Int32Array(new SharedArrayBuffer(8));
  private nextId = 1;
  private dead = false;

  constructor(private readonly memory: WasmMemory) {
    workerModule ??= new wasm.Module(tiesSimdModule(TIES_WORKER_SCRATCH));
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { memory, module: workerModule, signal: this.done.buffer },
    });
    liveWorkers++;
    this.worker.on('exit', () => liveWorkers--);
    this.worker.on('error', () => {}); // reported as no answer: its part is done again here
    this.worker.unref();
  }

  /** Posts a call of the kernel's export `fn`; returns its id, or null when the worker was ended. */
  start(fn: string, args: readonly number[]): number | null {
    if (this.dead) return null;
    const id = this.nextId++;
    this.worker.postMessage({ id, fn, args });
    return id;
  }

  /**
   * Waits until job `id` is done. A job that failed, or a worker silent for longer than its stall limit,
   * is an error (its part of the results, and of the fine counts, is unknown); the worker is ended.
   * Jobs are done in order; returns the result of the last one done (job `id`'s when it was the last
   * posted).
   */
  wait(id: number): number {
    const begin = performance.now();
    for (;;) {
      const seen = Atomics.load(this.done, 0);
      if (seen >= id) return Atomics.load(this.done, 1);
      const stalled = performance.now() - begin > (stalls.get(this.memory) ?? DEFAULT_STALL_MS);
      if (-seen >= id || stalled) {
        this.close();
        const why = stalled ? 'stopped answering' : 'failed';
        throw new WemoeError(`merge: the kernel worker thread ${why}; the merge was abandoned`);
      }
      Atomics.wait(this.done, 0, seen, WAIT_SLICE_MS);
    }
  }

  close(): void {
    if (this.dead) return;
    this.dead = true;
    void this.worker.terminate();
  }
}

const workers = new WeakMap<WasmMemory, SpanWorker>();
const stalls = new WeakMap<WasmMemory, number>();

/** The kernel worker of a kernel memory (started on first use): runs the Ties module's exports there. */
export function spanWorkerFor(memory: WasmMemory): SpanWorker {
  let worker = workers.get(memory);
  if (worker === undefined) {
    worker = new SpanWorker(memory);
    workers.set(memory, worker);
  }
  return worker;
}

/** Ends the span worker of an arena, if it has one (the next span there starts a new one). */
export function closeSpanWorker(arena: KernelArena): void {
  const memory = memoryOf(arena.buffer);
  if (memory === undefined) return;
  workers.get(memory)?.close();
  workers.delete(memory);
}

/** The span worker of an arena, if started (for tests). */
export function spanWorkerOf(arena: KernelArena): Worker | undefined {
  const memory = memoryOf(arena.buffer);
  return memory && workers.get(memory)?.worker;
}

/** How long the span worker of an arena may stay silent on a job before it is taken for dead. */
export function setSpanWorkerStall(arena: KernelArena, stallMs: number): void {
  const memory = memoryOf(arena.buffer);
  if (memory !== undefined) stalls.set(memory, stallMs);
}
