/**
 * Hugging Face CLIPImageProcessor, step for step: resize (PIL resampling), center crop (zero padding
 * when the image is smaller), rescale, normalise, channels first. The float steps are rounded to
 * float32 exactly where numpy does (rescale in float64 then cast; normalise in float32), so the
 * output equals the Python processor's bit for bit given the same decoded pixels.
 */

import { WemoeError } from '../../errors.js';
import { numel, shapeString, type Tensor } from '../../tensor/tensor.js';
import { resizeImage } from '../image/resample.js';
import type { RgbImage } from '../image/rgb-image.js';
import type { ProcessorConfig, ResizeTarget } from './config.js';

/** Output size of the resize step (transformers' get_resize_output_image_size, default_to_square=False). */
export function resizeOutputSize(width: number, height: number, target: ResizeTarget): [number, number] {
  if (!('shortestEdge' in target)) return [target.width, target.height];
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newShort = target.shortestEdge;
  const newLong = Math.floor((newShort * long) / short);
  return width <= height ? [newShort, newLong] : [newLong, newShort];
}

/** Crops the centre (top = ⌊(H − h)/2⌋, left = ⌊(W − w)/2⌋); pixels outside the image are 0, as in transformers. */
export function centerCrop(image: RgbImage, width: number, height: number): RgbImage {
  const top = Math.floor((image.height - height) / 2);
  const left = Math.floor((image.width - width) / 2);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < width; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= image.width) continue;
      const from = (sy * image.width + sx) * 3;
      data.set(image.data.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

/** Width and height of `preprocess`'s output for an image of the given size. */
export function preprocessedSize(width: number, height: number, config: ProcessorConfig): [number, number] {
  let size: [number, number] = [width, height];
  if (config.doResize) size = resizeOutputSize(width, height, config.size);
  if (config.doCenterCrop) size = [config.cropSize.width, config.cropSize.height];
  return size;
}

/** One image → pixel values, Float32Array [3, H, W]. */
export function preprocess(image: RgbImage, config: ProcessorConfig): Float32Array {
  let current = image;
  if (config.doResize) {
    const [width, height] = resizeOutputSize(image.width, image.height, config.size);
    current = resizeImage(current, width, height, config.resample);
  }
  if (config.doCenterCrop) current = centerCrop(current, config.cropSize.width, config.cropSize.height);
  const plane = current.width * current.height;
  const out = new Float32Array(3 * plane);
  const scale = channelScales(config);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = scale[c](current.data[p * 3 + c]);
  }
  return out;
}

/** Images of possibly different sizes → Tensor F32 [B, 3, H, W]; every output must have the same size. */
export function preprocessBatch(images: readonly RgbImage[], config: ProcessorConfig): Tensor {
  if (images.length === 0) throw new WemoeError('preprocessBatch: images: expected at least one image');
  const [width, height] = preprocessedSize(images[0].width, images[0].height, config);
  const shape = [images.length, 3, height, width];
  const data = new Float32Array(numel(shape));
  images.forEach((image, i) => {
    const [w, h] = preprocessedSize(image.width, image.height, config);
    if (w !== width || h !== height) {
      throw new WemoeError(
        `preprocessBatch: image ${i} (${image.width}x${image.height}) becomes ${w}x${h}, expected ${width}x${height}; enable center crop`,
      );
    }
    data.set(preprocess(image, config), i * 3 * width * height);
  });
  return { dtype: 'F32', shape, data };
}

/** Already-sized uint8 images, Tensor U8 [B, 3, H, W] → pixel values F32 [B, 3, H, W] (rescale + normalise only). */
export function toPixelValues(batch: Tensor, config: ProcessorConfig): Tensor {
  if (batch.dtype !== 'U8' || batch.shape.length !== 4 || batch.shape[1] !== 3) {
    throw new WemoeError(
      `toPixelValues: batch: expected U8 [B, 3, H, W], got ${batch.dtype} ${shapeString(batch.shape)}`,
    );
  }
  const plane = batch.shape[2] * batch.shape[3];
  const scale = channelScales(config);
  const input = batch.data as Uint8Array;
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = scale[Math.floor(i / plane) % 3](input[i]);
  return { dtype: 'F32', shape: [...batch.shape], data: out };
}

/** Per channel, uint8 → float32 as numpy computes it (rescale in float64, then float32 arithmetic). */
function channelScales(config: ProcessorConfig): ((v: number) => number)[] {
  const f = Math.fround;
  return [0, 1, 2].map((c) => {
    const table = new Float32Array(256);
    const mean = f(config.imageMean[c]);
    const std = f(config.imageStd[c]);
    for (let v = 0; v < 256; v++) {
      const rescaled = config.doRescale ? f(v * config.rescaleFactor) : v;
      table[v] = config.doNormalize ? f(f(rescaled - mean) / std) : rescaled;
    }
    return (v: number) => table[v];
  });
}
