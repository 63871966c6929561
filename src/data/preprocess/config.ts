/**
 * Image-processor settings as Hugging Face's CLIPImageProcessor reads them from
 * preprocessor_config.json, with CLIP's defaults when a model folder has none.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { WemoeError } from '../../errors.js';
import type { ResampleFilter } from '../image/resample.js';

export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
const CLIP_IMAGE_SIZE = 224;

/** Resize so the short side has this length (aspect kept), or to an exact height × width. */
export type ResizeTarget =
  | { readonly shortestEdge: number }
  | { readonly height: number; readonly width: number };

export interface ProcessorConfig {
  readonly doResize: boolean;
  readonly size: ResizeTarget;
  readonly resample: ResampleFilter;
  readonly doCenterCrop: boolean;
  readonly cropSize: { readonly height: number; readonly width: number };
  readonly doRescale: boolean;
  readonly rescaleFactor: number;
  readonly doNormalize: boolean;
  /** Per channel (R, G, B). */
  readonly imageMean: readonly number[];
  readonly imageStd: readonly number[];
}

/** CLIP's processor for square inputs of `imageSize` pixels. */
export function defaultProcessorConfig(imageSize = CLIP_IMAGE_SIZE): ProcessorConfig {
  return {
    doResize: true,
    size: { shortestEdge: imageSize },
    resample: 'bicubic',
    doCenterCrop: true,
    cropSize: { height: imageSize, width: imageSize },
    doRescale: true,
    rescaleFactor: 1 / 255,
    doNormalize: true,
    imageMean: CLIP_MEAN,
    imageStd: CLIP_STD,
  };
}

/**
 * The processor of a model folder: its preprocessor_config.json when present; otherwise CLIP's
 * defaults sized by `imageSize`, else by config.json's image_size (also under vision_config), else 224.
 */
export function loadProcessorConfig(modelDir?: string, imageSize?: number): ProcessorConfig {
  if (modelDir !== undefined) {
    const processorFile = join(modelDir, 'preprocessor_config.json');
    if (existsSync(processorFile)) return parseProcessorConfig(readJson(processorFile), processorFile);
  }
  if (imageSize !== undefined) return defaultProcessorConfig(positiveInteger(imageSize, 'imageSize'));
  if (modelDir !== undefined) {
    const configFile = join(modelDir, 'config.json');
    if (existsSync(configFile))
      return defaultProcessorConfig(modelImageSize(readJson(configFile), configFile));
  }
  return defaultProcessorConfig();
}

const positive = z.number().int().positive();
const heightWidth = z.object({ height: positive, width: positive });
const channelTriple = z.array(z.number()).length(3);
const processorSchema = z.object({
  do_resize: z.boolean().default(true),
  size: z.union([positive, z.object({ shortest_edge: positive }), heightWidth]).default(CLIP_IMAGE_SIZE),
  resample: z.number().int().default(3),
  do_center_crop: z.boolean().default(true),
  crop_size: z.union([positive, heightWidth]).default(CLIP_IMAGE_SIZE),
  do_rescale: z.boolean().default(true),
  rescale_factor: z
    .number()
    .positive()
    .default(1 / 255),
  do_normalize: z.boolean().default(true),
  image_mean: channelTriple.default([...CLIP_MEAN]),
  image_std: channelTriple
    .refine((std) => std.every((s) => s > 0), 'must be positive')
    .default([...CLIP_STD]),
});

/** PIL resampling codes (Hugging Face's PILImageResampling) that we implement. */
const RESAMPLE_CODES: Readonly<Record<number, ResampleFilter>> = { 2: 'bilinear', 3: 'bicubic', 4: 'box' };

export function parseProcessorConfig(json: unknown, file: string): ProcessorConfig {
  const parsed = processorSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WemoeError(`${file}: ${issue.path.join('.') || 'root'}: ${issue.message}`);
  }
  const p = parsed.data;
  const resample = RESAMPLE_CODES[p.resample];
  if (resample === undefined) {
    throw new WemoeError(
      `${file}: resample: expected 2 (bilinear), 3 (bicubic) or 4 (box), got ${p.resample}`,
    );
  }
  const size: ResizeTarget =
    typeof p.size === 'number'
      ? { shortestEdge: p.size }
      : 'shortest_edge' in p.size
        ? { shortestEdge: p.size.shortest_edge }
        : p.size;
  const cropSize =
    typeof p.crop_size === 'number' ? { height: p.crop_size, width: p.crop_size } : p.crop_size;
  return {
    doResize: p.do_resize,
    size,
    resample,
    doCenterCrop: p.do_center_crop,
    cropSize,
    doRescale: p.do_rescale,
    rescaleFactor: p.rescale_factor,
    doNormalize: p.do_normalize,
    imageMean: p.image_mean,
    imageStd: p.image_std,
  };
}

function modelImageSize(config: unknown, file: string): number {
  const root = (config ?? {}) as { image_size?: unknown; vision_config?: { image_size?: unknown } };
  const size = root.image_size ?? root.vision_config?.image_size ?? CLIP_IMAGE_SIZE;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    throw new WemoeError(`${file}: image_size: expected a positive integer, got ${JSON.stringify(size)}`);
  }
  return size;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new WemoeError(`loadProcessorConfig: ${name}: expected a positive integer, got ${value}`);
  }
  return value;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WemoeError(`${file}: cannot read JSON: ${reason.split('\n')[0]}`);
  }
}
