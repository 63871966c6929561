/** The static merge methods and the streaming driver. */
export * from './dare.js';
export { kthSmallestMagnitude, MagnitudeSelector } from './magnitude-select.js';
export type * from './method.js';
export { isFloatDType, type MergePlan, type MergeSources, planMerge } from './plan.js';
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
