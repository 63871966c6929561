import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PIXELS, decodeImage } from '../../../src/data/image/decode.js';
import { loadImageFolder } from '../../../src/data/image-folder.js';
import { defaultProcessorConfig } from '../../../src/data/preprocess/config.js';
import { WemoeError } from '../../../src/errors.js';
import { tempDir } from '../../io/helpers.js';
import { chunk, makePng } from './png-fixture.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A valid 1-bit grayscale PNG of side × side pixels, all black: a few KB that decode to side² × 4 bytes. */
function pngBomb(side: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  const raw = Buffer.alloc(side * (1 + Math.ceil(side / 8))); // filter byte 0 and zero samples per row
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A JPEG that declares a width × height baseline frame and holds nothing else of use. */
function jpegHeader(width: number, height: number): Buffer {
  const sof = [0xff, 0xc0, 0, 17, 8, height >> 8, height & 255, width >> 8, width & 255, 3];
  for (let c = 1; c <= 3; c++) sof.push(c, 0x11, 0);
  return Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, ...sof, 0xff, 0xd9]);
}

describe('decompression bombs', () => {
  it('a 16000×16000 PNG is refused from its header: under 1 s and 200 MB', () => {
    const bomb = pngBomb(16_000);
    expect(bomb.length).toBeLessThan(100_000);
    const rss = process.memoryUsage().rss;
    const began = performance.now();
    expect(() => decodeImage(bomb, 'bomb.png')).toThrow(
      `bomb.png: image is 16000x16000 = 256000000 pixels, above the limit of ${DEFAULT_MAX_PIXELS} (set WEMOE_MAX_IMAGE_PIXELS to allow more)`,
    );
    expect(performance.now() - began).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200e6);
  });

  it('the limit is configurable; an image at the limit decodes', () => {
    const png = makePng({
      width: 4,
      height: 3,
      colorType: 0,
      bitDepth: 8,
      rows: [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
        [9, 10, 11, 12],
      ],
    });
    expect(decodeImage(png, 'a.png', { maxPixels: 12 }).width).toBe(4);
    expect(() => decodeImage(png, 'a.png', { maxPixels: 11 })).toThrow('above the limit of 11');
    const bomb = pngBomb(2000);
    expect(decodeImage(bomb, 'b.png', { maxPixels: 4_000_000 }).data.length).toBe(2000 * 2000 * 3);
  });

  it('a JPEG declaring 60000×60000 is refused from its frame header', () => {
    expect(() => decodeImage(jpegHeader(60_000, 60_000), 'huge.jpg')).toThrow(
      'huge.jpg: image is 60000x60000 = 3600000000 pixels, above the limit',
    );
    // Below the limit the same header goes on to the decoder, which finds no scan data.
    expect(() => decodeImage(jpegHeader(8, 8), 'tiny.jpg')).toThrow(/^tiny\.jpg: cannot decode image: /);
  });

  it('a bomb inside an image folder names its file', () => {
    const dir = tempDir('bomb-folder');
    mkdirSync(join(dir, 'cat'));
    writeFileSync(join(dir, 'cat', 'bomb.png'), pngBomb(16_000));
    let error: unknown;
    try {
      loadImageFolder(dir, defaultProcessorConfig(4));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WemoeError);
    expect((error as Error).message).toMatch(/bomb\.png: image is 16000x16000/);
  });
});
