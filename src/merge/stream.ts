/**
 * The streaming driver of static merges: reads one tensor of every model at a time from TensorSources,
 * hands it to the method, and writes the result to a TensorSink. Peak memory is a few tensors × the
 * number of models, whatever the model size.
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
import type { MergeTensors, TensorMerger } from './method.js';
import { isFloatDType, type MergePlan, type MergeSources } from './plan.js';
import { isAllFinite, nonFiniteError } from './task-vector.js';

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
  let pass = 0;
  try {
    for (; merger.wantsPass?.(pass); pass++) {
      plan.floatTensors.forEach((info, i) => {
        merger.observe?.(pass, readTensors(sources, plan, info));
        report({ phase: 'observe', pass, index: i + 1, total: plan.floatTensors.length, name: info.name });
      });
      merger.endPass?.(pass);
    }
    const observed = performance.now();
    plan.tensors.forEach((info, i) => {
      sink.write(info.name, mergeOne(sources, plan, merger, info, options.outputDtype ?? 'F32'));
      report({ phase: 'merge', pass, index: i + 1, total: plan.tensors.length, name: info.name });
    });
    sink.finish();
    const end = performance.now();
    return { passes: pass, observeSeconds: (observed - start) / 1000, mergeSeconds: (end - observed) / 1000 };
  } catch (error) {
    sink.abort();
    throw error;
  }
}

function mergeOne(
  sources: MergeSources,
  plan: MergePlan,
  merger: TensorMerger,
  info: TensorInfo,
  dtype: OutputDType,
) {
  if (!isFloatDType(info.dtype)) return sources.pretrained.read(info.name);
  const tensors = readTensors(sources, plan, info);
  const merged = merger.merge(tensors);
  if (!isAllFinite(merged)) throw nonFiniteError(tensors);
  if (dtype === 'F16') checkF16Range(info.name, merged);
  return convertTensor({ dtype: 'F32', shape: info.shape, data: merged }, dtype);
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
