/**
 * The labelled images of one task, as a merge or eval config names them (`tasks.<name>.data`):
 * `suite:<task>` (the built-in suite), a `.safetensors` split (`images` U8 [N, C, H, W], `labels` [N],
 * `__metadata__.classes`), a folder holding `<split>.safetensors`, a Hugging Face parquet dataset (a
 * `.parquet` file, or a Hub folder: `data/<split>-*.parquet`, `<split>/*.parquet`, `<config>/<split>-*`;
 * read with `openTaskData`), or an image folder (one sub-folder per class, or `<split>/` holding them). Pixels are
 * produced per batch, so a large folder is not held in memory as float32.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { imageFromChw } from './image/rgb-image.js';
import { listImageFolder, loadImageFiles } from './image-folder.js';
import { openParquetSplit } from './parquet/parquet-split.js';
import { parquetSplitFiles } from './parquet/split-files.js';
import { preprocessBatch, toPixelValues } from './preprocess/clip.js';
import type { ProcessorConfig } from './preprocess/config.js';
import { loadSuiteSplit, readSuiteFile, type SuiteData, type SuiteSplit } from './suite.js';

export interface LabeledImages {
  readonly task: string;
  readonly count: number;
  readonly classes: readonly string[];
  readonly labels: Int32Array;
  /** pixel_values F32 [B, 3, S, S] of the samples at `indices`, preprocessed for the model (parquet: read asynchronously). */
  pixels(indices: readonly number[]): Tensor | Promise<Tensor>;
}

export interface TaskDataSpec {
  readonly data: string;
  readonly split: string;
}

export interface TaskDataOptions {
  /** Keep the first `limit` samples (suite files interleave classes, so a prefix stays balanced). */
  readonly limit?: number;
}

function asSuiteSplit(split: string, where: string): SuiteSplit {
  if (split !== 'train' && split !== 'test')
    throw new WemoeError(`${where}: split ${JSON.stringify(split)}: expected train or test`);
  return split;
}

/** uint8 CHW images → pixel values: rescale + normalise, resizing first when the model wants another size. */
function fromUint8(data: SuiteData, processor: ProcessorConfig): LabeledImages {
  const side = Math.round(Math.sqrt(data.images.length / data.count / 3));
  const sameSize = processor.cropSize.height === side && processor.cropSize.width === side;
  const plane = 3 * side * side;
  return {
    task: data.task,
    count: data.count,
    classes: data.classes,
    labels: data.labels,
    pixels(indices) {
      if (sameSize) {
        const batch = new Uint8Array(indices.length * plane);
        for (const [i, k] of indices.entries())
          batch.set(data.images.subarray(k * plane, (k + 1) * plane), i * plane);
        return toPixelValues({ dtype: 'U8', shape: [indices.length, 3, side, side], data: batch }, processor);
      }
      return preprocessBatch(
        indices.map((k) => imageFromChw(data.images, k, side, side)),
        processor,
      );
    },
  };
}

function fromImageFolder(
  task: string,
  dir: string,
  processor: ProcessorConfig,
  limit?: number,
): LabeledImages {
  const listing = listImageFolder(dir, { limit, seed: limit === undefined ? undefined : 0 });
  return {
    task,
    count: listing.files.length,
    classes: listing.classes,
    labels: listing.labels,
    pixels: (indices) =>
      loadImageFiles(
        indices.map((k) => listing.files[k]),
        processor,
      ),
  };
}

export function loadTaskData(
  task: string,
  spec: TaskDataSpec,
  processor: ProcessorConfig,
  options: TaskDataOptions = {},
): LabeledImages {
  const where = `task ${task}`;
  const { data, split } = spec;
  const limit = options.limit;
  if (data.startsWith('suite:')) {
    return fromUint8(loadSuiteSplit(data.slice(6) || task, asSuiteSplit(split, where), { limit }), processor);
  }
  if (!existsSync(data))
    throw new WemoeError(
      `${where}: data ${data} not found (expected suite:<task>, a .safetensors split, a parquet dataset or an image folder)`,
    );
  if (parquetSplitFiles(data, split).length > 0)
    throw new WemoeError(`${where}: data ${data} is a parquet dataset: open it with openTaskData`);
  if (data.endsWith('.safetensors'))
    return fromUint8(readSuiteFile(data, task, asSuiteSplit(split, where), { limit }), processor);
  if (!statSync(data).isDirectory())
    throw new WemoeError(`${where}: data ${data}: expected a .safetensors or .parquet file, or a folder`);
  const splitFile = join(data, `${split}.safetensors`);
  if (existsSync(splitFile))
    return fromUint8(readSuiteFile(splitFile, task, asSuiteSplit(split, where), { limit }), processor);
  const splitDir = join(data, split);
  return fromImageFolder(
    task,
    existsSync(splitDir) && statSync(splitDir).isDirectory() ? splitDir : data,
    processor,
    limit,
  );
}

/** Any task data, parquet datasets included (their labels and metadata are read asynchronously). */
export async function openTaskData(
  task: string,
  spec: TaskDataSpec,
  processor: ProcessorConfig,
  options: TaskDataOptions = {},
): Promise<LabeledImages> {
  const files = spec.data.startsWith('suite:') ? [] : parquetSplitFiles(spec.data, spec.split);
  if (files.length === 0) return loadTaskData(task, spec, processor, options);
  if (!existsSync(files[0])) throw new WemoeError(`task ${task}: data ${files[0]} not found`);
  const split = await openParquetSplit(files, processor, { limit: options.limit });
  return { task, ...split };
}
