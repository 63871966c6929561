/**
 * Test sets of the robustness experiment: a task's uint8 test images, clean or corrupted (seeded,
 * Hendrycks & Dietterich transforms from data/corruptions), as labelled images ready for the model.
 */
import { CORRUPTIONS, corruptBatch } from '../../data/corruptions/index.js';
import { imageFromChw } from '../../data/image/rgb-image.js';
import { preprocessBatch, toPixelValues } from '../../data/preprocess/clip.js';
import type { ProcessorConfig } from '../../data/preprocess/config.js';
import { deriveSeed } from '../../data/random.js';
import type { SuiteData } from '../../data/suite.js';
import type { LabeledImages } from '../../data/task-data.js';
import { WemoeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';

/** The clean condition's name (the first row of the paper's Table 5). */
export const CLEAN = 'clean';

/** Row labels of Table 5. */
export const CONDITION_LABELS: Readonly<Record<string, string>> = {
  clean: 'Clean',
  motion_blur: 'Motion blur',
  impulse_noise: 'Impulse noise',
  gaussian_noise: 'Gaussian noise',
  pixelate: 'Pixelate',
  spatter: 'Spatter',
  contrast: 'Contrast',
  jpeg_compression: 'JPEG',
};

/** Clean first, then every corruption in the paper's order. */
export const CONDITIONS: readonly string[] = [CLEAN, ...CORRUPTIONS];

/** A task's uint8 test images [N, 3, S, S] (e.g. loadSuiteSplit's), the corrupted copy of which is built. */
export type RawTestSet = Pick<SuiteData, 'task' | 'images' | 'labels' | 'classes' | 'count'>;

function imagesTensor(raw: RawTestSet): Tensor {
  const side = Math.round(Math.sqrt(raw.images.length / raw.count / 3));
  if (raw.count === 0 || 3 * side * side * raw.count !== raw.images.length)
    throw new WemoeError(
      `task ${raw.task}: images: expected ${raw.count} square RGB images, got ${raw.images.length} bytes`,
    );
  return { dtype: 'U8', shape: [raw.count, 3, side, side], data: raw.images };
}

/**
 * The images of `raw` under `condition` (clean or a corruption name) at `severity`; image i of task
 * number `taskIndex` uses a seed derived from (seed, taskIndex, i), so every run sees the same pixels.
 */
export function conditionImages(
  raw: RawTestSet,
  condition: string,
  severity: number,
  seed: number,
  taskIndex: number,
): Tensor {
  const images = imagesTensor(raw);
  if (condition === CLEAN) return images;
  return corruptBatch(condition, images, severity, deriveSeed(seed, taskIndex));
}

/** uint8 CHW images (already decoded and possibly corrupted) with their labels → model inputs on demand. */
export function labeledFromUint8(raw: RawTestSet, images: Tensor, processor: ProcessorConfig): LabeledImages {
  const [count, , height, width] = images.shape;
  const plane = 3 * height * width;
  const data = images.data as Uint8Array;
  const sameSize = processor.cropSize.height === height && processor.cropSize.width === width;
  return {
    task: raw.task,
    count,
    classes: raw.classes,
    labels: raw.labels,
    pixels(indices) {
      if (!sameSize)
        return preprocessBatch(
          indices.map((k) => imageFromChw(data, k, height, width)),
          processor,
        );
      const batch = new Uint8Array(indices.length * plane);
      for (const [i, k] of indices.entries()) batch.set(data.subarray(k * plane, (k + 1) * plane), i * plane);
      return toPixelValues(
        { dtype: 'U8', shape: [indices.length, 3, height, width], data: batch },
        processor,
      );
    },
  };
}
