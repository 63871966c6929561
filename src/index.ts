/**
 * The wemoe library API, by layer: everything the CLI does is reachable from here. Bottom to top: tensors,
 * checkpoints, data, graphs and their runtime, models, merge methods (static, test-time, the registry),
 * evaluation, export, configs, the demo.
 */

// Test-time methods
export { type AdaMergingParams, adamergingMethod, adaptAdaMerging, CLAMP_MODES } from './adapt/adamerging.js';
export { adaptT5AdaMerging, adaptT5Wemoe, tokenTask } from './adapt/t5.js';
export type {
  AdaptationRun,
  AdaptedModel,
  ClipTestTimeInputs,
  T5TestTimeInputs,
  TestTimeInputs,
  TestTimeMethod,
} from './adapt/test-time-method.js';
export { adaptWemoe, type WemoeParams, wemoeMethod } from './adapt/wemoe.js';
// Configs (YAML)
export { loadEvalConfig, parseEvalConfig } from './config/eval-config.js';
export { loadHeadsConfig, parseHeadsConfig } from './config/heads-config.js';
export { loadMergeConfig, parseMergeConfig } from './config/merge-config.js';
// Data: the tasks' images, preprocessing, corruptions, the built-in suite
export { CORRUPTIONS, corrupt, corruptBatch } from './data/corruptions/index.js';
export { loadProcessorConfig, type ProcessorConfig } from './data/preprocess/config.js';
export { loadSuiteSplit, type SuiteData, suiteTasks } from './data/suite.js';
export { type LabeledImages, loadTaskData, openTaskData, type TaskDataSpec } from './data/task-data.js';
export { readTextRows, type TextRow } from './data/text-rows.js';
export { runAllDemos } from './demo/combine.js';
// The demo: the paper's tables on a suite
export { type BuiltinExperimentsOptions, runBuiltinExperiments } from './demo/experiments/builtin.js';
export {
  type ExperimentsOptions,
  type ExperimentsOutcome,
  runExperiments,
} from './demo/experiments/run-experiments.js';
export { DEMO_ROWS, type DemoRow } from './demo/rows.js';
export { type DemoOptions, type DemoOutcome, runDemo } from './demo/run-demo.js';
export { type DemoSuite, loadBuiltinSuite } from './demo/suite.js';
export { loadTextSuite, type TextDemoSuite } from './demo/text-suite.js';
export { WemoeError } from './errors.js';
// Evaluation and reports
export { type EvaluateOptions, type Evaluation, evaluateModel } from './eval/evaluate.js';
export type { MethodResult, RunReport, TaskMetric } from './eval/report-types.js';
export { type EvalConfig, type EvalOutcome, type RunEvalOptions, runEval } from './eval/run-eval.js';
export { spearman } from './eval/spearman.js';
export {
  evaluateTextTasks,
  type PosedTextTask,
  readTextTasks,
  scoreTextTasks,
  type TextScores,
} from './eval/text-eval.js';
export { evaluateTextTask, type TextEvalResult } from './eval/text-task.js';
export { type ReportPaths, readReport, writeReports } from './eval/write-reports.js';
// Export: standalone ONNX models (transformers.js layout) and the web page
export {
  type ExportOptions,
  type ExportResult,
  type ExportSource,
  exportModelFolder,
  exportVisionModel,
} from './export/export-model.js';
export { type RunningServer, type ServeOptions, serveExport } from './export/serve.js';
// Graphs: build, differentiate, compile to ONNX Runtime
export { grad } from './graph/autodiff.js';
export {
  clamp,
  concat,
  gelu,
  layerNorm,
  linear,
  logSoftmax,
  meanEntropy,
  softmax,
  where,
} from './graph/functional.js';
export { Graph, type Value } from './graph/graph.js';
// Checkpoints (safetensors, sharded; Hugging Face folders)
export {
  type CheckpointWriterOptions,
  createCheckpointWriter,
  openCheckpoint,
  readConfig,
  writeConfig,
} from './io/checkpoint.js';
export { type CheckpointSummary, inspectCheckpoint } from './io/inspect.js';
export { MemorySink, MemorySource } from './io/memory-source.js';
export { openSafetensors, type SafetensorsFile } from './io/safetensors-reader.js';
export { createSafetensorsWriter, saveSafetensors } from './io/safetensors-writer.js';
export { createShardedWriter, openShardedSafetensors, type ShardedWriterOptions } from './io/sharded.js';
export type { TensorEntry, TensorSink } from './io/tensor-sink.js';
export type { TensorInfo, TensorSource } from './io/tensor-source.js';
// Static merge methods and the streaming driver
export { dareMethod } from './merge/dare.js';
export type { MergeTensors, MethodInfo, StaticMergeMethod, TensorMerger } from './merge/method.js';
export { type MergePlan, type MergeSources, planMerge } from './merge/plan.js';
export { simpleAverageMethod } from './merge/simple-average.js';
export { outputEntries, type StreamMergeOptions, streamMerge } from './merge/stream.js';
export { taskArithmeticMethod } from './merge/task-arithmetic.js';
export { tiesMethod } from './merge/ties.js';
// Every method by name; one merge in memory or from a config to a folder
export { getMethod, type MergeMethod, methodNames, parseMethodParams } from './methods/registry.js';
export { type MergeConfig, mergeConfigToYaml, OUTPUT_DTYPES } from './methods/resolved-config.js';
export { type MergeReport, type MergeResult, type RunMergeOptions, runMerge } from './methods/run-merge.js';
export { type MethodOutcome, runMethod } from './methods/run-method.js';
export {
  loadT5TestTimeInputs,
  type T5TaskPrompts,
  t5TestTimeInputs,
} from './methods/t5-test-time-inputs.js';
// Models
export { clipModelConfigJson, saveClipModel } from './models/clip-model.js';
export { type ClipTextModel, loadClipText } from './models/clip-text/checkpoint.js';
export { type ClipTextConfig, parseClipTextConfig } from './models/clip-text/config.js';
export { clipTextForward } from './models/clip-text/model.js';
export { ClipTextRunner } from './models/clip-text/runner.js';
export { loadClipVision, saveClipVision } from './models/clip-vision/checkpoint.js';
export { type ClipVisionConfig, parseClipVisionConfig } from './models/clip-vision/config.js';
export { clipVisionForward } from './models/clip-vision/model.js';
export { type ClipParams, clipParamCount } from './models/clip-vision/params.js';
export { type ForwardFileOptions, forwardFile } from './models/forward-file.js';
export { type Heads, loadHeads, saveHeads, type TaskHead } from './models/heads.js';
export { type MergedModel, saveMergedModel, type T5MergedModel } from './models/merged-model.js';
export { loadSuiteModels, type SuiteModels } from './models/suite-models.js';
export { createT5AdaMerging, type T5AdaMerging } from './models/t5/adamerging.js';
export { loadT5, saveT5, type T5Model } from './models/t5/checkpoint.js';
export { parseT5Config, readT5Config, type T5Config } from './models/t5/config.js';
export { generateTexts } from './models/t5/generate-texts.js';
export { formatPrompt, GLUE_TASKS, glueTask, parseScore, type TextTask } from './models/t5/glue.js';
export { t5Decoder, t5Encoder } from './models/t5/model.js';
export { randomT5Params, type T5Params, t5ParamCount } from './models/t5/params.js';
export { T5Runner, type T5RunnerModel } from './models/t5/runner.js';
export { readTaskRows, type TextTaskSpec, textTaskOf } from './models/t5/task-spec.js';
export { classifyByScoring, generateAnswers, labelLogProbs } from './models/t5/text-to-text.js';
export {
  type T5WemoeModel,
  t5WemoeForward,
  t5WemoeParamCounts,
  upscaleT5ToWemoe,
} from './models/t5/wemoe.js';
export { isT5WemoeFolder, loadT5Wemoe, saveT5Wemoe } from './models/t5/wemoe-checkpoint.js';
export { type ClipTokenizer, loadClipTokenizer, padIds } from './models/tokenizers/clip.js';
export { T5Tokenizer } from './models/tokenizers/t5.js';
export { saveVisionModel, type VisionModel } from './models/vision-model.js';
export { isWemoeFolder, loadWemoe, saveWemoe } from './models/wemoe/checkpoint.js';
export type { MixtureForm } from './models/wemoe/factored-projection.js';
export { type UpscaleOptions, upscaleToWemoe, type WemoeModel } from './models/wemoe/model.js';
export { type HeadsResult, type RunHeadsOptions, runHeads } from './models/zeroshot/build-heads.js';
export { builtinTask, builtinTaskNames } from './models/zeroshot/builtin.js';
export type { HeadsConfig } from './models/zeroshot/heads-config.js';
export { CompiledGraph, compile } from './runtime/compile.js';
export type { CompileOptions } from './runtime/options.js';
export { saveOnnx } from './runtime/save.js';
// Tensors
export { convertTensor, toFloat32 } from './tensor/convert.js';
export { type DType, float32, numel, shapeString, type Tensor } from './tensor/tensor.js';
