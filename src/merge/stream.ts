/**
 * The streaming driver of static merges: reads one tensor of every model at a time from TensorSources,
 * hands it to the method, and writes the result to a TensorSink. Sources that can say where a tensor's
 * bytes lie (safetensors files) are read two tensors ahead on a worker thread (ReadAhead), into a ring
 * of reused memory, so reading and merging overlap. A method that needs statistics over all parameters
 * first (Ties' global threshold) asks for observation passes: every float tensor is read and observed
 * once per pass before the merge pass. Peak memory is a few tensors × the number of models, whatever the
 * model size.
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
import { mergeReader, ReadAhead } from './read-ahead.js';
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

/** Runs the method's observation passes, then merges every tensor into `sink` (finished, or aborted on error). */
export function streamMerge(
  sources: MergeSources,
  plan: MergePlan,
  merger: TensorMerger,
  sink: TensorSink,
  options: StreamMergeOptions = {},
): StreamMergeResult {
  const report = options.onProgress ?? (() => {});
  const dtype = options.outputDtype ?? 'F32';
  const start = performance.now();
  const reader = mergeReader(sources, plan);
  // Every pass reads the float tensors in plan order, each time through a fresh read-ahead.
  const readAhead = () => new ReadAhead(sources, plan.tasks, plan.floatTensors, reader?.reader ?? null);
  const next = (ahead: ReadAhead, info: TensorInfo): MergeTensors => ({
    name: info.name,
    shape: info.shape,
    ...ahead.next(info.name),
    tasks: plan.tasks,
  });
  try {
    const floats = plan.floatTensors;
    for (let pass = 0; pass < merger.passes; pass++) {
      const ahead = readAhead();
      floats.forEach((info, i) => {
        merger.observe?.(pass, next(ahead, info));
        report({ phase: 'observe', pass, index: i + 1, total: floats.length, name: info.name });
      });
      ahead.close();
    }
    const observeSeconds = (performance.now() - start) / 1000;
    const ahead = readAhead();
    plan.tensors.forEach((info, i) => {
      if (isFloatDType(info.dtype)) {
        const tensors = next(ahead, info);
        const merged = merger.merge(tensors);
        if (!isAllFinite(merged)) throw nonFiniteError(tensors);
        sink.write(info.name, outputTensor(info, merged, dtype));
      } else sink.write(info.name, sources.pretrained.read(info.name));
      report({
        phase: 'merge',
        pass: merger.passes,
        index: i + 1,
        total: plan.tensors.length,
        name: info.name,
      });
    });
    ahead.close();
    sink.finish();
    const seconds = (performance.now() - start) / 1000;
    return { passes: merger.passes, observeSeconds, mergeSeconds: seconds - observeSeconds };
  } catch (error) {
    sink.abort();
    throw error;
  } finally {
    reader?.close();
  }
}

function outputTensor(info: TensorInfo, merged: Float32Array, dtype: OutputDType) {
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
