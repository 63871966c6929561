/**
 * Ties over records (the provisional entries of the global merge pass: 1 + T words each, the entry's
 * index, then its τ per task) with the kernel's `records` function (ties-records-code.ts): the records,
 * kept in JavaScript memory, are copied a piece at a time into the work region of a kernel memory, where
 * it reads them; the values it finalizes must lie in that memory.
 */
import { memoryOf, TIES_SCRATCH, type WasmMemory, type WorkRegion, workRegionOf } from './kernel-memory.js';
import { checkedTiesLayout, recordBytes, SPAN_MAX_TASKS } from './ties-layout.js';
import { tiesBlockIn } from './ties-simd.js';

const layout = checkedTiesLayout(TIES_SCRATCH);

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
