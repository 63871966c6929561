/** Host RGB images: 8 bits per channel, pixels interleaved row-major (HWC). */

/** `data[(y * width + x) * 3 + c]` is channel c (R, G, B) of pixel (x, y). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Image `index` of a uint8 CHW batch [N, 3, H, W] as an HWC image. */
export function imageFromChw(batch: Uint8Array, index: number, height: number, width: number): RgbImage {
  const plane = height * width;
  const base = index * 3 * plane;
  const data = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) data[p * 3 + c] = batch[base + c * plane + p];
  }
  return { width, height, data };
}

/** Writes an HWC image into slot `index` of a uint8 CHW batch [N, 3, H, W]. */
export function imageIntoChw(image: RgbImage, batch: Uint8Array, index: number): void {
  const plane = image.height * image.width;
  const base = index * 3 * plane;
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) batch[base + c * plane + p] = image.data[p * 3 + c];
  }
}
