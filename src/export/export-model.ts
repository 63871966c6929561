/**
 * `wemoe export` as a library call: a model folder (CLIP vision, plain or merged, or WEMoE) becomes a
 * standalone folder that ONNX Runtime and transformers.js load (docs/formats.md, "Exported models"):
 * onnx/model.onnx (+ model.onnx_data when large), config.json, preprocessor_config.json, and with `web`
 * a static page that runs it in a browser.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadProcessorConfig } from '../data/preprocess/config.js';
import { WemoeError } from '../errors.js';
import { openAtomicOutput } from '../io/atomic-output.js';
import { writeJsonAtomic } from '../io/json-file.js';
import { RESOLVED_CONFIG_FILE } from '../methods/run-merge.js';
import { loadClipVision } from '../models/clip-vision/checkpoint.js';
import { type Heads, loadHeads } from '../models/heads.js';
import type { VisionModel } from '../models/vision-model.js';
import { isWemoeFolder, loadWemoe } from '../models/wemoe/checkpoint.js';
import type { Tensor } from '../tensor/tensor.js';
import { type ExportDescription, exportConfigJson, preprocessorConfigJson } from './config-files.js';
import { buildExportGraph } from './export-graph.js';
import { type ExportDType, writeExportOnnx } from './onnx-file.js';
import { writeWebPage } from './web-page.js';

export interface ExportOptions {
  /** Output folder: written beside it and swapped in; an existing one only if wemoe wrote it. */
  readonly out: string;
  /** heads.safetensors (or heads in memory): adds logits_<task> per task. */
  readonly heads?: string | Heads;
  /** Stored dtype of the weights (default f32); inputs and outputs are float32 either way. */
  readonly dtype?: ExportDType;
  /** Also write the static web page (index.html, its script, onnxruntime-web's files). */
  readonly web?: boolean;
  /** Weights above this many bytes go to onnx/model.onnx_data (default: just under 2 GiB). */
  readonly maxInlineBytes?: number;
}

export interface ExportResult {
  /** The folder written. */
  readonly dir: string;
  /** Path of onnx/model.onnx. */
  readonly onnx: string;
  readonly outputs: readonly string[];
  readonly weightBytes: number;
  readonly externalData: boolean;
  /** Wall-clock seconds from reading the model to the last file written. */
  readonly seconds: number;
}

/** What an export needs besides the model: where it came from, for the processor and merge details. */
export interface ExportSource {
  readonly model: VisionModel;
  readonly visualProjection?: Tensor;
  /** The model folder (preprocessor_config.json and merge_config.yaml are read from it when present). */
  readonly dir?: string;
}

const DTYPES: readonly ExportDType[] = ['f32', 'f16'];

/** Reads the model folder `modelDir` and exports it. */
export function exportModelFolder(modelDir: string, options: ExportOptions): ExportResult {
  const started = performance.now();
  const source: ExportSource = isWemoeFolder(modelDir)
    ? { model: { kind: 'wemoe', model: loadWemoe(modelDir) }, dir: modelDir }
    : loadClipSource(modelDir);
  return exportVisionModel(source, options, started);
}

function loadClipSource(dir: string): ExportSource {
  const { config, params, visualProjection } = loadClipVision(dir);
  return { model: { kind: 'clip', config, params }, visualProjection, dir };
}

/** Exports an in-memory model (a merge result, the demo's WEMoE model). */
export function exportVisionModel(
  source: ExportSource,
  options: ExportOptions,
  started = performance.now(),
): ExportResult {
  const dtype = options.dtype ?? 'f32';
  if (!DTYPES.includes(dtype))
    throw new WemoeError(`export: dtype ${JSON.stringify(dtype)}: expected one of ${DTYPES.join(', ')}`);
  const config = source.model.kind === 'clip' ? source.model.config : source.model.model.clip;
  const heads =
    typeof options.heads === 'string' ? loadHeads(options.heads, config.hiddenSize) : options.heads;
  const graph = buildExportGraph(source.model, { heads, visualProjection: source.visualProjection });
  // Written beside the destination and swapped in: a folder wemoe did not write is never replaced.
  const output = openAtomicOutput(options.out);
  try {
    const file = writeExportFiles(source, graph, { ...options, dtype, heads, staging: output.staging });
    output.commit();
    return {
      dir: options.out,
      onnx: join(options.out, relative(output.staging, file.path)),
      outputs: Object.keys(graph.outputs),
      weightBytes: file.weightBytes,
      externalData: file.externalData,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    output.discard();
    throw error;
  }
}

function writeExportFiles(
  source: ExportSource,
  graph: ReturnType<typeof buildExportGraph>,
  options: ExportOptions & { readonly dtype: ExportDType; readonly heads?: Heads; readonly staging: string },
): ReturnType<typeof writeExportOnnx> {
  const { dtype, heads, staging } = options;
  const config = source.model.kind === 'clip' ? source.model.config : source.model.model.clip;
  const file = writeExportOnnx(graph.outputs, join(staging, 'onnx'), {
    dtype,
    maxInlineBytes: options.maxInlineBytes,
  });
  const description: ExportDescription = {
    clip: config,
    dtype,
    externalData: file.externalData,
    outputs: Object.fromEntries(Object.entries(graph.outputs).map(([n, v]) => [n, v.shape])),
    tasks: graph.tasks,
    headKind: heads?.kind,
    router: source.model.kind === 'wemoe' ? source.model.model.wemoe : undefined,
    merge: source.dir === undefined ? undefined : readMergeMethod(source.dir),
    hasProjection: source.visualProjection !== undefined,
  };
  writeJsonAtomic(join(staging, 'config.json'), exportConfigJson(description));
  const processor = loadProcessorConfig(source.dir, source.dir ? undefined : config.imageSize);
  writeJsonAtomic(join(staging, 'preprocessor_config.json'), preprocessorConfigJson(processor));
  if (options.web) writeWebPage(staging);
  return file;
}

/** Method and parameters from a merge output's merge_config.yaml; undefined for other folders. */
function readMergeMethod(dir: string): ExportDescription['merge'] {
  const file = join(dir, RESOLVED_CONFIG_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = parseYaml(readFileSync(file, 'utf8')) as { method?: unknown; parameters?: unknown };
  if (typeof parsed?.method !== 'string')
    throw new WemoeError(`${file}: expected a string field method (the merge method's name)`);
  const parameters =
    typeof parsed.parameters === 'object' && parsed.parameters !== null
      ? (parsed.parameters as Record<string, unknown>)
      : {};
  return { method: parsed.method, parameters };
}
