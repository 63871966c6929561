/**
 * One merge method, static or test-time, on models in memory: the entry the demo calls (a CLIP suite or a
 * T5 one), and `wemoe merge` for test-time methods (after loading their inputs once). Static methods run
 * through the same planner and streaming driver as a merge of files.
 */
import type {
  AdaptationRun,
  ClipTestTimeInputs,
  T5TestTimeInputs,
  TestTimeInputs,
} from '../adapt/test-time-method.js';
import { MemorySink, MemorySource } from '../io/memory-source.js';
import type { StaticMergeMethod } from '../merge/method.js';
import { planMerge } from '../merge/plan.js';
import { outputEntries, streamMerge } from '../merge/stream.js';
import type { MergedModel, T5MergedModel } from '../models/merged-model.js';
import type { VisionModel } from '../models/vision-model.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TtaResult } from '../tta/loop.js';
import { getMethod, type MergeMethod, parseMethodParams } from './registry.js';

export interface MethodOutcome<M extends MergedModel = VisionModel> {
  readonly model: M;
  /** The method's parameters with defaults filled in. */
  readonly parameters: Record<string, unknown>;
  readonly trainableParams: number;
  readonly allParams: number;
  /** Seconds spent merging (static), or building the model and its graphs before adaptation (test-time). */
  readonly setupSeconds: number;
  /** The adaptation's run (test-time methods). */
  readonly tta?: TtaResult;
  /** JSON files to write beside the model, by file name. */
  readonly files?: Readonly<Record<string, unknown>>;
}

/**
 * Runs method `name` (a registry name) with `rawParams` (defaults filled in; errors prefixed by `where`)
 * on `inputs`; static methods use only the models and the seed. CLIP inputs give a vision model, T5
 * inputs a T5 model (plain, or WEMoE).
 */
export function runMethod(
  name: string,
  rawParams: Readonly<Record<string, unknown>>,
  inputs: ClipTestTimeInputs,
  run: AdaptationRun & { readonly where?: string },
): Promise<MethodOutcome<VisionModel>>;
export function runMethod(
  name: string,
  rawParams: Readonly<Record<string, unknown>>,
  inputs: T5TestTimeInputs,
  run: AdaptationRun & { readonly where?: string },
): Promise<MethodOutcome<T5MergedModel>>;
export function runMethod(
  name: string,
  rawParams: Readonly<Record<string, unknown>>,
  inputs: TestTimeInputs,
  run: AdaptationRun & { readonly where?: string },
): Promise<MethodOutcome<MergedModel>>;
export async function runMethod(
  name: string,
  rawParams: Readonly<Record<string, unknown>>,
  inputs: TestTimeInputs,
  run: AdaptationRun & { readonly where?: string },
): Promise<MethodOutcome<MergedModel>> {
  const method: MergeMethod = getMethod(name);
  const parameters = parseMethodParams(method, rawParams, run.where ?? name) as Record<string, unknown>;
  const began = performance.now();
  if (method.kind === 'test-time') {
    const adapted = await method.adapt(parameters, inputs, run);
    const seconds = (performance.now() - began) / 1000;
    return { ...adapted, parameters, setupSeconds: seconds - adapted.tta.seconds };
  }
  const params = mergeInMemory(method, parameters, inputs);
  const model: MergedModel =
    inputs.kind === 't5'
      ? { kind: 't5', model: { config: inputs.t5, params } }
      : { kind: 'clip', config: inputs.clip, params };
  return {
    model,
    parameters,
    trainableParams: 0,
    allParams: [...params.values()].reduce((n, t) => n + t.data.length, 0),
    setupSeconds: (performance.now() - began) / 1000,
  };
}

/** θ of a static method over the experts, in float32. */
function mergeInMemory(
  method: StaticMergeMethod,
  params: unknown,
  { pretrained, experts, seed }: TestTimeInputs,
): Map<string, Tensor> {
  const sources = {
    pretrained: new MemorySource('pretrained', pretrained),
    experts: Object.fromEntries(
      [...experts].map(([task, p]) => [task, new MemorySource(`expert ${task}`, p)]),
    ),
  };
  const plan = planMerge(sources);
  const merger = method.createMerger(params, { tasks: plan.tasks, floatParams: plan.floatParams, seed });
  const sink = new MemorySink(outputEntries(plan));
  streamMerge(sources, plan, merger, sink);
  return sink.result();
}
