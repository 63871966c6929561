/** PNG/JPEG images, one decoded at a time, → pixel values F32 [N, 3, H, W] as the model's processor says. */
import { WemoeError } from '../errors.js';
import { numel, type Tensor } from '../tensor/tensor.js';
import { decodeImage } from './image/decode.js';
import { preprocess, preprocessedSize } from './preprocess/clip.js';
import type { ProcessorConfig } from './preprocess/config.js';

export interface EncodedImage {
  /** Names the image in errors: its file, or its file and row. */
  readonly name: string;
  /** The PNG or JPEG bytes, read when the image's turn comes (so that one image is held at a time). */
  bytes(): Uint8Array;
}

/** Decodes and preprocesses images; every one must preprocess to the first one's size. */
export function preprocessEncoded(images: readonly EncodedImage[], processor: ProcessorConfig): Tensor {
  if (images.length === 0) throw new WemoeError('preprocessEncoded: images: expected at least one image');
  let shape: number[] = [];
  let data = new Float32Array(0);
  images.forEach((source, i) => {
    const image = decodeImage(source.bytes(), source.name);
    const [width, height] = preprocessedSize(image.width, image.height, processor);
    if (i === 0) {
      shape = [images.length, 3, height, width];
      data = new Float32Array(numel(shape));
    } else if (width !== shape[3] || height !== shape[2]) {
      throw new WemoeError(
        `${source.name}: preprocesses to ${width}x${height}, expected ${shape[3]}x${shape[2]} like ${images[0].name}`,
      );
    }
    data.set(preprocess(image, processor), (i * data.length) / images.length);
  });
  return { dtype: 'F32', shape, data };
}
