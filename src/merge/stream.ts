/**
 * The streaming driver of static merges: reads one tensor of every model at a time from TensorSources,
 * hands it to the method, and writes the result to a TensorSink. Sources that can say where a tensor's
 * bytes lie (safetensors files) are read two tensors ahead on a worker thread (ReadAhead), into a ring
 * of reused memory, so reading and merging overlap; the ring lies in the kernels' WebAssembly memory,
 * where they read the tensors in place. Peak memory is a few tensors × the number of models,
 * whatever the model size, plus fixed budgets for what a deferred merge (Ties) keeps before spilling to
 * temporary files.
 *
 * Non-finite weights are an error, not a warning (a NaN or Inf merged into a model silently ruins it):
 * every merged tensor is checked, and so is every task vector that Ties and DARE compute (where a drop
 * or a trim could hide an Inf). The error names the tensor and the models holding NaN/Inf, or says
 * overflow; as the sink is aborted, nothing is written. Merged values beyond float16's range are an
 * error too when the output is f16.
 */
import { WemoeError } from '../errors.js';
import type { TensorEntry, TensorSink } from '../io/tensor-sink.js';
import type { TensorInfo } from '../io/tensor-source.js';
import { convertTensor } from '../tensor/convert.js';
import { numel } from '../tensor/tensor.js';
import { awaitPrefault, prefault } from './kernels/ties-span.js';
import type { MergeTensors, TensorMerger } from './method.js';
import { isFloatDType, type MergePlan, type MergeSources } from './plan.js';
import { mergeReader, ReadAhead } from './read-ahead.js';
import { SpillFile } from './spill-file.js';
import { checksFinite, isAllFinite, nonFiniteError, overflowError } from './task-vector.js';

export { SpillFile } from './spill-file.js';

export type OutputDType = 'F32' | 'F16' | 'BF16';

export interface MergeProgress {
  /** 'observe' for the passes a method asks for before merging (Ties' global threshold), then 'merge'. */
  readonly phase: 'observe' | 'merge';
  readonly pass: number;
  /** 1-based index of the tensor just done, out of `total` in this phase. */
  readonly index: number;
  readonly total: number;
  readonly name: string;
}

/**
 * A merger whose `merge` results are provisional until every tensor was merged (Ties' global trim decides
 * most entries at once and the rest when the pass is over). The driver keeps the provisional tensors in a
 * temporary file, calls `finishMerge`, then `finalize` on each float tensor in merge order before writing.
 * Only final values are checked: a deferred merger checks that its inputs are finite itself, so that a
 * non-finite result can only be an overflow.
 */
export interface DeferredMerger extends TensorMerger {
  /**
   * Writes its result into `into` when given (and returns it); else its result is copied at once: it may
   * be a view of a buffer reused by the next call.
   */
  merge(tensors: MergeTensors, into?: Float32Array): Float32Array;
  /**
   * When present, runs before the observation passes (with the sources, to sample them); it may make
   * them unneeded. `scratch`, when given, is memory it may use until it returns (the read-ahead ring,
   * idle then, where the kernels read in place).
   */
  prepare?(sources: MergeSources, plan: MergePlan, scratch?: Float32Array): void;
  /**
   * After the merge pass; false when the merge pass must be run again, after the observation passes the
   * merger now asks for (a guess from `prepare` proved wrong).
   */
  finishMerge(): boolean;
  /**
   * Makes the provisional values of the next float tensor final, in place; returns whether they are all
   * finite, or nothing when it did not look (the driver checks).
   */
  finalize(values: Float32Array): boolean | undefined;
  /**
   * When present: starts making the values of the float tensor after the next final, on another thread
   * (false when it did not); `finalize` is called with them in turn.
   */
  finalizeAhead?(values: Float32Array): boolean;
  /** Frees what the merger holds (temporary files); called on success and on error. */
  dispose(): void;
  /**
   * When present, replaces `observe`: the driver hands over θ0's tensor with the experts' a few at a
   * time (tasks first, first + 1, …). Returns the index in `experts` of the first whose τ holds NaN/Inf,
   * or −1.
   */
  observeExperts?(pass: number, pretrained: Float32Array, first: number, experts: Float32Array[]): number;
}

/**
 * Bytes of provisional tensors kept in memory before they go to a temporary file: a ViT-B/32's fit
 * (350 MB), sparing a write and a read of them; larger models spill the rest, so memory stays bounded.
 */
const PROVISIONAL_IN_MEMORY = 512 * 1024 * 1024;

function isDeferred(merger: TensorMerger): merger is DeferredMerger {
  return 'finishMerge' in merger;
}

export interface StreamMergeOptions {
  readonly outputDtype?: OutputDType;
  readonly onProgress?: (progress: MergeProgress) => void;
}

export interface StreamMergeResult {
  /** Observation passes the method needed before merging. */
  readonly passes: number;
  /** Seconds spent in the observation passes and in the merge pass. */
  readonly observeSeconds: number;
  readonly mergeSeconds: number;
}

/** What the sink must declare: merged tensors in the output dtype, copied tensors as stored. */
export function outputEntries(plan: MergePlan, outputDtype: OutputDType = 'F32'): TensorEntry[] {
  const floats = new Set(plan.floatTensors.map((t) => t.name));
  return plan.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    dtype: floats.has(t.name) ? outputDtype : t.dtype,
  }));
}

/**
 * What a merge needs from the sources: the plan, and the next float tensor of every model, read ahead;
 * and where kernels can write results to be kept, in the memory they read the tensors in (or null).
 */
interface MergeInput {
  readonly sources: MergeSources;
  readonly plan: MergePlan;
  readonly ahead: ReadAhead;
  readonly held: Uint8Array | null;
}

function nextTensors(input: MergeInput, info: TensorInfo): MergeTensors {
  return { name: info.name, shape: info.shape, ...input.ahead.next(info.name), tasks: input.plan.tasks };
}

function readTensors(sources: MergeSources, plan: MergePlan, info: TensorInfo): MergeTensors {
  return {
    name: info.name,
    shape: info.shape,
    pretrained: sources.pretrained.readF32(info.name),
    experts: plan.tasks.map((task) => sources.experts[task].readF32(info.name)),
    tasks: plan.tasks,
  };
}

/** Runs the method's observation passes, then merges every tensor into `sink` (finished, or aborted on error). */
export function streamMerge(
  sources: MergeSources,
  plan: MergePlan,
  merger: TensorMerger,
  sink: TensorSink,
  options: StreamMergeOptions = {},
): StreamMergeResult {
  const report = options.onProgress ?? (() => {});
  const start = performance.now();
  const held = isDeferred(merger) ? Math.min(PROVISIONAL_IN_MEMORY, 4 * plan.floatParams) : 0;
  const reader = mergeReader(sources, plan, held);
  const prefaulting = reader !== null && held > 0 ? prefault(reader.arena) : null;
  const readAhead = (): MergeInput => ({
    sources,
    plan,
    ahead: new ReadAhead(sources, plan.tasks, plan.floatTensors, reader?.reader ?? null),
    held: reader && new Uint8Array(reader.arena.buffer, reader.arena.held.offset, reader.arena.held.bytes),
  });
  let passes = 0;
  let observeSeconds = 0;
  const observe = () => {
    const begin = performance.now();
    let pass = 0;
    for (; merger.wantsPass?.(pass); pass++) {
      const input = readAhead();
      plan.floatTensors.forEach((info, i) => {
        const tensors = nextTensors(input, info);
        if (isDeferred(merger) && merger.observeExperts) observeByExperts(input, merger, pass, info, tensors);
        else merger.observe?.(pass, tensors);
        report({ phase: 'observe', pass, index: i + 1, total: plan.floatTensors.length, name: info.name });
      });
      input.ahead.close();
      merger.endPass?.(pass);
    }
    passes += pass;
    observeSeconds += (performance.now() - begin) / 1000;
    return pass;
  };
  try {
    if (isDeferred(merger) && merger.prepare) {
      const ring = reader?.arena;
      merger.prepare(
        sources,
        plan,
        ring && new Float32Array(ring.buffer, ring.offset, Math.floor(ring.bytes / 4)),
      );
      observeSeconds += (performance.now() - start) / 1000;
    }
    let pass = observe();
    const dtype = options.outputDtype ?? 'F32';
    if (prefaulting !== null) awaitPrefault(reader!.arena, prefaulting);
    if (isDeferred(merger)) {
      while (!mergeDeferred(readAhead(), merger, sink, dtype, report, pass)) pass = observe();
    } else {
      const input = readAhead();
      plan.tensors.forEach((info, i) => {
        sink.write(info.name, mergeOne(input, merger, info, dtype));
        report({ phase: 'merge', pass, index: i + 1, total: plan.tensors.length, name: info.name });
      });
      input.ahead.close();
    }
    sink.finish();
    const seconds = (performance.now() - start) / 1000;
    return { passes, observeSeconds, mergeSeconds: seconds - observeSeconds };
  } catch (error) {
    sink.abort();
    throw error;
  } finally {
    if (isDeferred(merger)) merger.dispose();
    reader?.close();
  }
}

/** Experts read and observed together: two share one sweep over θ0's tensor. */
const EXPERTS_AT_ONCE = 2;

/**
 * One tensor of an observation pass, a few experts at a time; a NaN/Inf is reported with every model's
 * tensor, read again (the merger may have changed the ones it was handed).
 */
function observeByExperts(
  input: MergeInput,
  merger: DeferredMerger,
  pass: number,
  info: TensorInfo,
  tensors: MergeTensors,
): void {
  for (let first = 0; first < tensors.experts.length; first += EXPERTS_AT_ONCE) {
    const experts = tensors.experts.slice(first, first + EXPERTS_AT_ONCE);
    const bad = merger.observeExperts!(pass, tensors.pretrained, first, experts);
    if (bad >= 0) throw nonFiniteError(readTensors(input.sources, input.plan, info), first + bad);
  }
}

function mergeOne(input: MergeInput, merger: TensorMerger, info: TensorInfo, dtype: OutputDType) {
  if (!isFloatDType(info.dtype)) return input.sources.pretrained.read(info.name);
  const tensors = nextTensors(input, info);
  const merged = merger.merge(tensors);
  if (!checksFinite(merger) && !isAllFinite(merged)) throw nonFiniteError(tensors);
  return outputTensor(info, merged, dtype);
}

function outputTensor(info: TensorInfo, merged: Float32Array, dtype: OutputDType) {
  if (dtype === 'F16') checkF16Range(info.name, merged);
  return convertTensor({ dtype: 'F32', shape: info.shape, data: merged }, dtype);
}

/**
 * Provisional tensors are kept (in memory up to PROVISIONAL_IN_MEMORY, then in a temporary file): in the
 * held region of the kernel arena when the inputs are read ahead, where the kernels write them in place
 * (its pages touched by the kernel worker before the merge pass); once the merger has finished, each is
 * finalized (the next one ahead, on another thread, when the merger can) and written. False, with
 * nothing written, when the merger asks for the merge pass again.
 */
function mergeDeferred(
  input: MergeInput,
  merger: DeferredMerger,
  sink: TensorSink,
  dtype: OutputDType,
  report: (progress: MergeProgress) => void,
  pass: number,
): boolean {
  const spill = new SpillFile('provisional.f32', PROVISIONAL_IN_MEMORY, input.held ?? undefined);
  try {
    const offsets = new Map<string, number>();
    const { sources, plan } = input;
    plan.floatTensors.forEach((info, i) => {
      const tensors = nextTensors(input, info);
      const into = spill.reserve(4 * numel(info.shape));
      const merged = merger.merge(tensors, into === null ? undefined : floatsOf(into));
      offsets.set(
        info.name,
        spill.append(new Uint8Array(merged.buffer, merged.byteOffset, merged.byteLength)),
      );
      report({ phase: 'merge', pass, index: i + 1, total: plan.floatTensors.length, name: info.name });
    });
    input.ahead.close();
    if (!merger.finishMerge()) return false;
    const floats = plan.tensors.filter((info) => offsets.has(info.name));
    const take = (info: TensorInfo) => floatsOf(spill.take(offsets.get(info.name)!, 4 * numel(info.shape)));
    let next = floats.length > 0 ? take(floats[0]) : null;
    let f = 0;
    for (const info of plan.tensors) {
      if (!offsets.has(info.name)) {
        sink.write(info.name, sources.pretrained.read(info.name));
        continue;
      }
      const merged = next!;
      const finite = merger.finalize(merged);
      // The next tensor is made final on another thread while this one is checked and written.
      next = ++f < floats.length ? take(floats[f]) : null;
      if (next !== null) merger.finalizeAhead?.(next);
      if (finite === false || (finite === undefined && !isAllFinite(merged))) throw overflowError(info.name);
      sink.write(info.name, outputTensor(info, merged, dtype));
    }
    return true;
  } finally {
    spill.dispose();
  }
}

function floatsOf(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Smallest magnitude that rounds to infinity in float16 (65504 + half an ulp). */
const F16_OVERFLOW = 65520;

function checkF16Range(name: string, values: Float32Array): void {
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]));
  if (largest >= F16_OVERFLOW) {
    throw new WemoeError(
      `merge: tensor '${name}': merged magnitude ${largest} overflows f16 (max 65504); use --dtype f32 or bf16`,
    );
  }
}
