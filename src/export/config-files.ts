/**
 * config.json and preprocessor_config.json of an export, in the Hugging Face layout that transformers.js
 * (and Python transformers) read. Every processor field is written explicitly: transformers.js reads an
 * absent do_normalize / do_center_crop as off and an absent resample as bilinear, and an integer `size`
 * as a square there, so defaults would preprocess differently from wemoe.
 */

import type { ProcessorConfig } from '../data/preprocess/config.js';
import { OPSET } from '../graph/onnx/emit.js';
import type { ClipVisionConfig } from '../models/clip-vision/config.js';
import { clipVisionConfigJson } from '../models/clip-vision/config.js';
import type { HeadKind } from '../models/heads.js';
import type { WemoeConfig } from '../models/wemoe/config.js';
import type { ExportTask } from './export-graph.js';
import { DATA_FILE, type ExportDType, MODEL_FILE } from './onnx-file.js';

/** PIL's resampling codes, as preprocessor_config.json stores them. */
const RESAMPLE_CODES = { bilinear: 2, bicubic: 3, box: 4 } as const;
/** The ONNX IR version the emitter writes. */
export const IR_VERSION = 8;

export interface ExportDescription {
  readonly clip: ClipVisionConfig;
  readonly dtype: ExportDType;
  readonly externalData: boolean;
  /** Output name → shape (symbolic 'batch'). */
  readonly outputs: Readonly<Record<string, readonly (number | string)[]>>;
  readonly tasks: readonly ExportTask[];
  readonly headKind?: HeadKind;
  /** The WEMoE block of the source model, for a WEMoE export. */
  readonly router?: WemoeConfig;
  /** Method and parameters of the merge that made the model, when its folder says. */
  readonly merge?: { readonly method: string; readonly parameters: Record<string, unknown> };
  readonly hasProjection: boolean;
}

/** config.json: the CLIP vision config, where transformers.js finds the file, and a `wemoe` section. */
export function exportConfigJson(d: ExportDescription): Record<string, unknown> {
  const router = d.router && {
    experts: d.router.experts,
    router_depth: d.router.routerDepth,
    layers: d.router.upscaledLayers,
    modules: d.router.upscaledModules,
    batch_reduce: d.router.batchReduce,
    init_lambda: d.router.initLambda,
  };
  return {
    ...clipVisionConfigJson(d.clip),
    architectures: [d.hasProjection ? 'CLIPVisionModelWithProjection' : 'CLIPVisionModel'],
    // transformers.js's "fp32" means the file onnx/model.onnx; an f16 export keeps float32 inputs and outputs.
    'transformers.js_config': { dtype: 'fp32', use_external_data_format: d.externalData },
    wemoe: {
      kind: d.router ? 'wemoe' : 'clip',
      onnx: `onnx/${MODEL_FILE}`,
      external_data: d.externalData ? `onnx/${DATA_FILE}` : null,
      weights_dtype: d.dtype,
      opset: OPSET,
      ir_version: IR_VERSION,
      inputs: { pixel_values: ['batch', d.clip.numChannels, d.clip.imageSize, d.clip.imageSize] },
      outputs: d.outputs,
      head_kind: d.headKind ?? null,
      tasks: d.tasks.map((t) => ({ name: t.name, output: t.output, classes: t.classes })),
      router: router ?? null,
      merge: d.merge ?? null,
    },
  };
}

/** preprocessor_config.json with every field explicit (see the module comment). */
export function preprocessorConfigJson(p: ProcessorConfig): Record<string, unknown> {
  const size = 'shortestEdge' in p.size ? { shortest_edge: p.size.shortestEdge } : { ...p.size };
  return {
    image_processor_type: 'CLIPImageProcessor',
    do_convert_rgb: true,
    do_resize: p.doResize,
    size,
    resample: RESAMPLE_CODES[p.resample],
    do_center_crop: p.doCenterCrop,
    crop_size: { height: p.cropSize.height, width: p.cropSize.width },
    do_rescale: p.doRescale,
    rescale_factor: p.rescaleFactor,
    do_normalize: p.doNormalize,
    image_mean: [...p.imageMean],
    image_std: [...p.imageStd],
  };
}
