/** The wemoe library API: everything the CLI does is reachable from here. */

export * from './config/eval-config.js';
export * from './config/merge-config.js';
export {
  CORRUPTIONS,
  type Corruption,
  corrupt,
  corruptBatch,
  corruptionByName,
} from './data/corruptions/index.js';
export * from './data/image/decode.js';
export * from './data/image/resample.js';
export * from './data/image/rgb-image.js';
export * from './data/image-folder.js';
export * from './data/preprocess/clip.js';
export * from './data/preprocess/config.js';
export * from './data/random.js';
export * from './data/suite.js';
export * from './demo/budget.js';
export * from './demo/experiments/index.js';
export { DEMO_ROWS, type DemoRow } from './demo/rows.js';
export * from './demo/run-demo.js';
export { type DemoContext, runRow } from './demo/run-row.js';
export * from './demo/suite.js';
export { WemoeError } from './errors.js';
export * from './eval/evaluate.js';
export * from './eval/index.js';
export * from './eval/run-eval.js';
export * from './graph/index.js';
export {
  type CheckpointWriterOptions,
  createCheckpointWriter,
  openCheckpoint,
  readConfig,
  writeConfig,
} from './io/checkpoint.js';
export { type ClipLayout, type ClipVisionSource, clipVisionView } from './io/clip-keys.js';
export { type CheckpointSummary, inspectCheckpoint } from './io/inspect.js';
export { MemorySink, MemorySource } from './io/memory-source.js';
export { openSafetensors, type SafetensorsFile } from './io/safetensors-reader.js';
export { createSafetensorsWriter, saveSafetensors } from './io/safetensors-writer.js';
export { createShardedWriter, openShardedSafetensors, type ShardedWriterOptions } from './io/sharded.js';
export type { TensorEntry, TensorSink } from './io/tensor-sink.js';
export type { TensorInfo, TensorSource } from './io/tensor-source.js';
export * from './merge/index.js';
export { runMethod } from './methods/run-method.js';
export * from './models/clip-vision/index.js';
export * from './models/forward-file.js';
export * from './models/head-logits.js';
export * from './models/heads.js';
export * from './models/suite-models.js';
export * from './optim/index.js';
export * from './runtime/index.js';
export { convertTensor, toFloat32 } from './tensor/convert.js';
export * from './tensor/f16.js';
export * from './tensor/tensor.js';
