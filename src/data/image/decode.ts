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

/** Images above this many pixels are refused before decoding (a 16000×16000 PNG of 750 KB decodes to 1 GB). */
export const DEFAULT_MAX_PIXELS = 50_000_000;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default: WEMOE_MAX_IMAGE_PIXELS, else 50 million). */
  readonly maxPixels?: number;
}

/** The pixel limit: the option, else the WEMOE_MAX_IMAGE_PIXELS environment variable, else the default. */
export function maxImagePixels(options: DecodeOptions = {}): number {
  if (options.maxPixels !== undefined) return options.maxPixels;
  const fromEnv = process.env.WEMOE_MAX_IMAGE_PIXELS;
  if (fromEnv === undefined || fromEnv === '') return DEFAULT_MAX_PIXELS;
  const value = Number(fromEnv);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new WemoeError(`WEMOE_MAX_IMAGE_PIXELS=${fromEnv}: expected a positive integer`);
  return value;
}

export function decodeImage(bytes: Uint8Array, filename: string, options: DecodeOptions = {}): RgbImage {
  const isPng = startsWith(bytes, PNG_SIGNATURE);
  const isJpeg = startsWith(bytes, [0xff, 0xd8, 0xff]);
  if (!isPng && !isJpeg) throw new WemoeError(`${filename}: not a PNG or JPEG file (unrecognised signature)`);
  const size = isPng ? pngSize(bytes) : jpegSize(bytes);
  const limit = maxImagePixels(options);
  if (size && size.width * size.height > limit) {
    throw new WemoeError(
      `${filename}: image is ${size.width}x${size.height} = ${size.width * size.height} pixels, above the limit of ${limit} (set WEMOE_MAX_IMAGE_PIXELS to allow more)`,
    );
  }
  try {
    return isPng ? decodePng(bytes) : decodeJpeg(bytes, limit);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WemoeError(`${filename}: cannot decode image: ${reason.split('\n')[0]}`);
  }
}

/** Width and height from the PNG's IHDR chunk (always first), or undefined when it is not there. */
function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Width and height from the JPEG's first start-of-frame marker, found by walking the segments. */
function jpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let offset = 2;
  while (offset + 9 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (bytes[offset + 5] << 8) | bytes[offset + 6];
      const width = (bytes[offset + 7] << 8) | bytes[offset + 8];
      return { width, height };
    }
    offset += 2 + length;
  }
  return undefined;
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

function decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbImage {
  const image = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    maxMemoryUsageInMB: 2048,
    maxResolutionInMP: maxPixels / 1e6,
  });
  return { width: image.width, height: image.height, data: image.data };
}
