/**
 * PNG and JPEG decoding to 8-bit RGB with pngjs and jpeg-js, matching what Hugging Face's
 * `convert_rgb` (PIL `Image.convert('RGB')`) gives: alpha is DROPPED, not composited; grayscale is
 * replicated to 3 channels; palette images take their palette colours. Deviation from PIL: 16-bit
 * samples keep their high byte (PIL does this for 16-bit RGB, but clips 16-bit grayscale at 255).
 * EXIF orientation is ignored, as PIL's open() and Hugging Face's processors ignore it.
 */

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { WemoeError } from '../../errors.js';
import type { RgbImage } from './rgb-image.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function decodeImage(bytes: Uint8Array, filename: string): RgbImage {
  try {
    if (startsWith(bytes, PNG_SIGNATURE)) return decodePng(bytes);
    if (startsWith(bytes, [0xff, 0xd8, 0xff])) return decodeJpeg(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WemoeError(`${filename}: cannot decode image: ${reason.split('\n')[0]}`);
  }
  throw new WemoeError(`${filename}: not a PNG or JPEG file (unrecognised signature)`);
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function decodePng(bytes: Uint8Array): RgbImage {
  // pngjs blackens pixels matching a tRNS colour key; PIL's convert('RGB') keeps their colour, so
  // the chunk (which only carries transparency, dropped anyway) is removed before decoding.
  const png = PNG.sync.read(Buffer.from(withoutChunk(bytes, 'tRNS')), { skipRescale: true });
  const { width, height } = png;
  const rgba = png.data as unknown as ArrayLike<number>;
  // The typings omit colour type 3 (palette), which pngjs does report.
  const colorType = png.colorType as number;
  const shift = png.depth === 16 && colorType !== 3 ? 8 : 0;
  const data = new Uint8Array(width * height * 3);
  const scale = lowDepthScale(png.depth, colorType);
  for (let p = 0, n = width * height; p < n; p++) {
    for (let c = 0; c < 3; c++) data[p * 3 + c] = scale(rgba[p * 4 + c] >> shift);
  }
  return { width, height, data };
}

/** With skipRescale, 1/2/4-bit grayscale samples stay raw; PIL scales them to 0..255 (e.g. 2-bit × 85). */
function lowDepthScale(depth: number, colorType: number): (v: number) => number {
  if (colorType === 3 || depth >= 8) return (v) => v;
  const factor = 255 / ((1 << depth) - 1);
  return (v) => v * factor;
}

/** The PNG byte stream with every chunk of the given type left out. */
function withoutChunk(bytes: Uint8Array, type: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const end = offset + 12 + view.getUint32(offset);
    const chunkType = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (chunkType !== type) kept.push(bytes.subarray(offset, Math.min(end, bytes.length)));
    offset = end;
  }
  return Buffer.concat(kept);
}

function decodeJpeg(bytes: Uint8Array): RgbImage {
  const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
  return { width: image.width, height: image.height, data: image.data };
}
