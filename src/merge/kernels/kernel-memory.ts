/**
 * The memories the WebAssembly kernels run in. Each is a shared WebAssembly.Memory (its buffer is a
 * SharedArrayBuffer, which a worker thread can read files into): the kernels' fixed scratch regions at
 * the start, then, in an arena, the ring that the merge driver reads tensors ahead into. A kernel reads
 * its inputs in place when they lie in the memory it runs in, and copies them into its scratch otherwise.
 * One memory serves every caller whose inputs lie in no arena.
 */

/**
 * The scratch regions of the sum kernel (sum-simd.ts), the Ties kernel (ties-layout.ts), the counting
 * kernel (count-simd.ts) and the Ties kernel on the span worker (ties-span.ts).
 */
export const SUM_SCRATCH = 0;
export const TIES_SCRATCH = 2 * 65536;
export const COUNT_SCRATCH = 4 * 65536;
export const TIES_WORKER_SCRATCH = 13 * 65536;
/** Where an arena's ring starts: past every scratch region, on a page. */
export const RING_START = 16 * 65536;

const PAGE = 65536;
/** 4 GiB: the most a memory with 32-bit addresses can hold. */
const MAX_PAGES = 65536;

/** The part of the WebAssembly JS API used by the kernels (the project's libs carry no typings for it). */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}
export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * A ring in the memory of the kernels, for BackgroundReader's `ring` option; after it a work region, and
 * room where a caller keeps results that kernels write in place (`held`).
 */
export interface KernelArena {
  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
  readonly bytes: number;
  readonly work: WorkRegion;
  readonly held: WorkRegion;
}

/** Bytes of a memory where kernels write their results when their inputs lie in that memory. */
export interface WorkRegion {
  readonly offset: number;
  readonly bytes: number;
}

/** Memories by their buffer (the object every view of them holds). */
const memories = new WeakMap<SharedArrayBuffer, WasmMemory>();
const workRegions = new WeakMap<WasmMemory, WorkRegion>();

function sharedMemory(bytes: number): WasmMemory {
  const pages = Math.ceil(bytes / PAGE);
  if (pages > MAX_PAGES) throw new RangeError(`kernel memory: ${bytes} bytes exceed 4 GiB`);
  const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  memories.set(memory.buffer, memory);
  return memory;
}

/** The memory of callers whose inputs lie in no arena: scratch only. */
export const defaultMemory = sharedMemory(RING_START);

/**
 * A memory with `ringBytes` of room for a ring after the scratch, then `workBytes` of work region and
 * `heldBytes` of held region (its pages are touched only when used).
 */
export function createKernelArena(ringBytes: number, workBytes = 0, heldBytes = 0): KernelArena {
  const align = (bytes: number) => Math.ceil(bytes / 64) * 64;
  const ringEnd = RING_START + align(ringBytes);
  const work = { offset: ringEnd, bytes: workBytes };
  const held = { offset: ringEnd + align(workBytes), bytes: heldBytes };
  const memory = sharedMemory(held.offset + heldBytes);
  workRegions.set(memory, work);
  return { buffer: memory.buffer, offset: RING_START, bytes: ringBytes, work, held };
}

/** The work region of an arena's memory (none for the default memory). */
export function workRegionOf(memory: WasmMemory): WorkRegion | undefined {
  return workRegions.get(memory);
}

/** The memory whose buffer is `buffer`, if it is a kernel memory. */
export function memoryOf(buffer: ArrayBufferLike): WasmMemory | undefined {
  return memories.get(buffer as SharedArrayBuffer);
}

/** The memory that holds one of `arrays` (read in place there), or the default memory. */
export function memoryHolding(arrays: readonly ArrayBufferView[]): WasmMemory {
  for (const array of arrays) {
    const memory = memories.get(array.buffer as SharedArrayBuffer);
    if (memory !== undefined) return memory;
  }
  return defaultMemory;
}

/**
 * An instance of a kernel module per memory, made on first use: `instantiate` compiles nothing (the
 * module is compiled once).
 */
export function perMemory<T>(
  bytes: Uint8Array,
  bind: (exports: Record<string, unknown>, memory: WasmMemory) => T,
) {
  const module = new wasm.Module(bytes);
  const instances = new WeakMap<WasmMemory, T>();
  return (memory: WasmMemory): T => {
    let instance = instances.get(memory);
    if (instance === undefined) {
      const { exports } = new wasm.Instance(module, { env: { memory } });
      instance = bind(exports, memory);
      instances.set(memory, instance);
    }
    return instance;
  };
}
