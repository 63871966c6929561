import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/data/image/decode.js';
import { WemoeError } from '../../../src/errors.js';
import { be16, makePng } from './png-fixture.js';

const rgbOf = (bytes: Uint8Array) => Array.from(decodeImage(bytes, 'test.png').data);

// Expected values were checked once against PIL 9.4 `Image.open(f).convert('RGB')`.
describe('decodeImage PNG', () => {
  it('decodes 8-bit RGB written by pngjs', () => {
    const png = new PNG({ width: 2, height: 1 });
    png.data.set([10, 20, 30, 255, 40, 50, 60, 255]);
    const image = decodeImage(PNG.sync.write(png), 'a.png');
    expect([image.width, image.height]).toEqual([2, 1]);
    expect(Array.from(image.data)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('replicates grayscale to three channels', () => {
    expect(rgbOf(makePng({ width: 3, height: 1, colorType: 0, bitDepth: 8, rows: [[0, 128, 255]] }))).toEqual(
      [0, 0, 0, 128, 128, 128, 255, 255, 255],
    );
  });

  it('scales 2-bit grayscale by 85 like PIL', () => {
    const bytes = makePng({ width: 4, height: 1, colorType: 0, bitDepth: 2, rows: [[0b00011011]] });
    expect(rgbOf(bytes)).toEqual([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255]);
  });

  it('keeps the high byte of 16-bit samples', () => {
    const rgb = makePng({
      width: 2,
      height: 1,
      colorType: 2,
      bitDepth: 16,
      rows: [be16([0x1234, 0xabcd, 0xff00, 0x00ff, 0x7f80, 0x8000])],
    });
    expect(rgbOf(rgb)).toEqual([0x12, 0xab, 0xff, 0x00, 0x7f, 0x80]);
    const gray = makePng({
      width: 3,
      height: 1,
      colorType: 0,
      bitDepth: 16,
      rows: [be16([0, 0x80ff, 0xffff])],
    });
    expect(rgbOf(gray)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255]);
  });

  it('drops alpha instead of compositing (RGBA and gray + alpha)', () => {
    const rgba = makePng({
      width: 2,
      height: 1,
      colorType: 6,
      bitDepth: 8,
      rows: [[10, 20, 30, 0, 200, 100, 50, 128]],
    });
    expect(rgbOf(rgba)).toEqual([10, 20, 30, 200, 100, 50]);
    const grayAlpha = makePng({ width: 2, height: 1, colorType: 4, bitDepth: 8, rows: [[77, 0, 180, 255]] });
    expect(rgbOf(grayAlpha)).toEqual([77, 77, 77, 180, 180, 180]);
  });

  it('maps 4-bit palette indices to palette colours, ignoring palette alpha', () => {
    const bytes = makePng({
      width: 3,
      height: 1,
      colorType: 3,
      bitDepth: 4,
      palette: [
        [255, 0, 0],
        [0, 255, 0],
        [10, 20, 30],
      ],
      trns: [0, 128],
      rows: [[0x01, 0x20]],
    });
    expect(rgbOf(bytes)).toEqual([255, 0, 0, 0, 255, 0, 10, 20, 30]);
  });

  it('keeps the colour of tRNS colour-key pixels (pngjs alone would blacken them)', () => {
    const gray = makePng({ width: 2, height: 1, colorType: 0, bitDepth: 8, trns: [0, 90], rows: [[90, 91]] });
    expect(rgbOf(gray)).toEqual([90, 90, 90, 91, 91, 91]);
    const rgb = makePng({
      width: 2,
      height: 1,
      colorType: 2,
      bitDepth: 8,
      trns: [0, 1, 0, 2, 0, 3],
      rows: [[1, 2, 3, 4, 5, 6]],
    });
    expect(rgbOf(rgb)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('decodeImage JPEG', () => {
  it('round-trips a smooth image through jpeg-js within JPEG error', () => {
    const width = 16;
    const height = 8;
    const rgba = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      rgba.set([(p % width) * 12, Math.floor(p / width) * 20, 128, 255], p * 4);
    }
    const encoded = jpeg.encode({ width, height, data: rgba }, 95).data;
    const image = decodeImage(encoded, 'smooth.jpg');
    expect([image.width, image.height]).toEqual([width, height]);
    let maxError = 0;
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++)
        maxError = Math.max(maxError, Math.abs(image.data[p * 3 + c] - rgba[p * 4 + c]));
    }
    expect(maxError).toBeLessThanOrEqual(6);
  });

  it('decodes a grayscale JPEG (made by PIL) to the values PIL decodes, replicated to RGB', () => {
    const bytes = Buffer.from(GRAY_JPEG_BASE64, 'base64');
    const image = decodeImage(bytes, 'gray.jpg');
    expect([image.width, image.height]).toEqual([8, 8]);
    for (let p = 0; p < 64; p++) {
      expect(image.data[p * 3]).toBe(image.data[p * 3 + 1]);
      expect(image.data[p * 3]).toBe(image.data[p * 3 + 2]);
      expect(Math.abs(image.data[p * 3] - PIL_GRAY_DECODED[p])).toBeLessThanOrEqual(1);
    }
  });
});

describe('decodeImage errors', () => {
  it('names the file for unknown formats and corrupt data', () => {
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4]), 'x/notes.txt')).toThrow(WemoeError);
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4]), 'x/notes.txt')).toThrow(
      /x\/notes\.txt: not a PNG or JPEG/,
    );
    const png = makePng({ width: 2, height: 1, colorType: 2, bitDepth: 8, rows: [[1, 2, 3, 4, 5, 6]] });
    expect(() => decodeImage(png.subarray(0, png.length - 20), 'bad.png')).toThrow(
      /^bad\.png: cannot decode image: /,
    );
    expect(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0, 1]), 'bad.jpg')).toThrow(
      /^bad\.jpg: cannot decode/,
    );
  });
});

/** quality 95 grayscale JPEG of (16x + 8y) mod 256 on 8 × 8 pixels, written by PIL 9.4. */
const GRAY_JPEG_BASE64 =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APk//gm3+zb/AMeH+gf3f4a//9k=';

/** PIL's decoding of those bytes. */
const PIL_GRAY_DECODED = [
  0, 16, 32, 48, 64, 80, 97, 112, 8, 23, 40, 55, 72, 88, 104, 120, 16, 32, 48, 64, 80, 96, 113, 128, 24, 39,
  56, 72, 88, 104, 120, 136, 32, 48, 64, 80, 96, 112, 129, 144, 40, 55, 72, 88, 104, 120, 136, 152, 48, 64,
  80, 96, 113, 128, 145, 160, 56, 71, 88, 104, 120, 136, 152, 168,
];
