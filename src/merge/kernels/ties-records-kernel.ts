/**
 * Ties over records (the provisional entries of the global merge pass: 1 + T words each, the entry's
 * index, then its τ per task) with the kernel's `records` function (ties-records-code.ts): the records,
 * kept in JavaScript memory, are copied a piece at a time into the work region of a kernel memory, where
 * it reads them; the values it finalizes must lie in that memory. A tensor's values can also be
 * finalized and checked on the kernel worker (startFinalize), while this thread does something else.
 */
import {
  memoryOf,
  TIES_SCRATCH,
  TIES_WORKER_SCRATCH,
  type WasmMemory,
  type WorkRegion,
  workRegionOf,
} from './kernel-memory.js';
import { checkedTiesLayout, recordBytes, SPAN_MAX_TASKS } from './ties-layout.js';
import { tiesBlockIn } from './ties-simd.js';
import { spanWorkerFor } from './ties-span.js';

const layout = checkedTiesLayout(TIES_SCRATCH);
const workerLayout = checkedTiesLayout(TIES_WORKER_SCRATCH);

/** A kernel memory with a work region that holds one record at least, for `tasks` tasks; else null. */
export function recordsMemory(buffer: ArrayBufferLike, tasks: number): WasmMemory | null {
  const memory = memoryOf(buffer);
  const work = memory && workRegionOf(memory);
  if (memory === undefined || work === undefined) return null;
  return tasks <= SPAN_MAX_TASKS && work.bytes >= recordBytes(tasks) ? memory : null;
}

export interface RecordsMerge {
  readonly thresholdBits: Int32Array;
  /** 0 sum, 1 mean, 2 max. */
  readonly mode: number;
  readonly lambda: number;
  /** The sign given to zero sums: 1 or −1. */
  readonly tie: number;
}

/** Σ sign(Σt kept τt) over `count` records (each 1 + tasks words of `records`). */
export function recordVotes(
  memory: WasmMemory,
  records: Float32Array,
  count: number,
  trim: RecordsMerge,
): number {
  return runPieces(memory, records, count, trim, 0, 0);
}

/** values[index] = θ0 + λ·merged (values[index] holds θ0) for `count` records; `values` lies in a kernel memory. */
export function finalizeRecords(
  values: Float32Array,
  records: Float32Array,
  count: number,
  p: RecordsMerge,
): void {
  runPieces(memoryOf(values.buffer)!, records, count, p, values.byteOffset, 1);
}

function runPieces(
  memory: WasmMemory,
  records: Float32Array,
  count: number,
  p: RecordsMerge,
  valuesAt: number,
  write: number,
): number {
  const tasks = p.thresholdBits.length;
  const width = 1 + tasks;
  const work: WorkRegion = workRegionOf(memory)!;
  const perPiece = Math.floor(work.bytes / recordBytes(tasks));
  const block = tiesBlockIn(memory);
  new Int32Array(memory.buffer, layout.SPAN_HIGHS, tasks).set(p.thresholdBits);
  const into = new Float32Array(memory.buffer, work.offset, perPiece * width);
  let votes = 0;
  for (let first = 0; first < count; first += perPiece) {
    const n = Math.min(perPiece, count - first);
    into.set(records.subarray(first * width, (first + n) * width));
    votes += block.records(work.offset, n, tasks, p.mode, p.lambda, p.tie, valuesAt, write);
  }
  return votes;
}

/** Whether one of `values` (in a kernel memory) is NaN or ±Inf. */
export function hasNonFinite(values: Float32Array): boolean {
  const block = tiesBlockIn(memoryOf(values.buffer)!);
  return block.nonFinite(values.byteOffset, values.length) !== 0;
}

/** Runs of records, each `count` records of 1 + tasks words. */
export type RecordRuns = readonly { readonly words: Float32Array; readonly count: number }[];

/**
 * Starts finalizing `values` (in a kernel memory) from `runs` on the kernel worker, then checking them;
 * returns the id `finishFinalize` waits on, or null when the records do not fit the work region (the
 * caller finalizes here).
 */
export function startFinalize(values: Float32Array, runs: RecordRuns, p: RecordsMerge): number | null {
  const memory = memoryOf(values.buffer)!;
  const tasks = p.thresholdBits.length;
  const count = runs.reduce((sum, run) => sum + run.count, 0);
  const work = workRegionOf(memory)!;
  if (count * recordBytes(tasks) > work.bytes) return null;
  let at = work.offset;
  for (const run of runs) {
    new Float32Array(memory.buffer, at, run.words.length).set(run.words);
    at += 4 * run.words.length;
  }
  new Int32Array(memory.buffer, workerLayout.SPAN_HIGHS, tasks).set(p.thresholdBits);
  const worker = spanWorkerFor(memory);
  const valuesAt = values.byteOffset;
  worker.start('records', [work.offset, count, tasks, p.mode, p.lambda, p.tie, valuesAt, 1]);
  return worker.start('nonFinite', [valuesAt, values.length]);
}

/** Waits for the job `startFinalize` returned; whether every value is finite. */
export function finishFinalize(values: Float32Array, id: number): boolean {
  return spanWorkerFor(memoryOf(values.buffer)!).wait(id) === 0;
}
