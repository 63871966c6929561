/** The merge library API: methods by name, the streaming driver, and `runMerge` for whole config-driven merges. */
export * from './dare.js';
export { kthSmallestMagnitude, MagnitudeSelector } from './magnitude-select.js';
export type * from './method.js';
export { isFloatDType, type MergePlan, type MergeSources, planMerge } from './plan.js';
export { getMethod, methodNames, parseMethodParams, registerMethod } from './registry.js';
export {
  HEADS_FILE,
  type MergeReport,
  type MergeResult,
  type RunMergeOptions,
  runMerge,
} from './run-merge.js';
export * from './simple-average.js';
export {
  type MergeProgress,
  type OutputDType,
  outputEntries,
  type StreamMergeOptions,
  type StreamMergeResult,
  streamMerge,
} from './stream.js';
export * from './task-arithmetic.js';
export { TaskVectors, type TaskVectorTransform } from './task-vector.js';
export * from './ties.js';
