/** A static merge method run on models in memory, through the same planner and streaming driver as files. */

import { WemoeError } from '../errors.js';
import { MemorySink, MemorySource } from '../io/memory-source.js';
import { planMerge } from '../merge/plan.js';
import { getMethod, parseMethodParams } from '../merge/registry.js';
import { outputEntries, streamMerge } from '../merge/stream.js';
import type { ClipParams } from '../models/clip-vision/params.js';

/** θ of method `name` (registry name) with `rawParams` (defaults filled in) over the experts, in float32. */
export function mergeInMemory(
  name: string,
  rawParams: Record<string, unknown>,
  pretrained: ClipParams,
  experts: ReadonlyMap<string, ClipParams>,
  seed: number,
): ClipParams {
  const method = getMethod(name);
  if (method.kind !== 'static') throw new WemoeError(`demo: ${name} is not a static merge method`);
  const sources = {
    pretrained: new MemorySource('pretrained', pretrained),
    experts: Object.fromEntries(
      [...experts].map(([task, params]) => [task, new MemorySource(`expert ${task}`, params)]),
    ),
  };
  const plan = planMerge(sources);
  const params = parseMethodParams(method, rawParams, `demo ${name}`);
  const merger = method.createMerger(params, { tasks: plan.tasks, floatParams: plan.floatParams, seed });
  const sink = new MemorySink(outputEntries(plan));
  streamMerge(sources, plan, merger, sink);
  return sink.result();
}
