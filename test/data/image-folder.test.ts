import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listImageFolder, loadImageFolder } from '../../src/data/image-folder.js';
import { defaultProcessorConfig } from '../../src/data/preprocess/config.js';
import { WemoeError } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function png(width: number, height: number, value: number): Buffer {
  const image = new PNG({ width, height });
  image.data.fill(value);
  for (let p = 0; p < width * height; p++) image.data[p * 4 + 3] = 255;
  return PNG.sync.write(image);
}

function jpg(width: number, height: number, value: number): Buffer {
  return jpeg.encode({ width, height, data: new Uint8Array(width * height * 4).fill(value) }, 95).data;
}

/** dataset/{cat: a.png, b.JPG, nested/c.png, notes.txt; dog: z.jpeg; ant: x.png} */
function makeDataset(dir: string): void {
  for (const name of ['cat/nested', 'dog', 'ant']) mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, 'cat', 'b.JPG'), jpg(10, 8, 200));
  writeFileSync(join(dir, 'cat', 'a.png'), png(6, 6, 10));
  writeFileSync(join(dir, 'cat', 'nested', 'c.png'), png(4, 9, 50));
  writeFileSync(join(dir, 'cat', 'notes.txt'), 'not an image');
  writeFileSync(join(dir, 'dog', 'z.jpeg'), jpg(5, 5, 120));
  writeFileSync(join(dir, 'ant', 'x.png'), png(3, 3, 255));
  writeFileSync(join(dir, 'README.md'), 'files at the top are ignored');
}

const dataset = join(root, 'dataset');
beforeAll(() => makeDataset(dataset));

describe('listImageFolder', () => {
  it('sorts classes and files, recurses into class folders and keeps only images', () => {
    const listing = listImageFolder(dataset);
    expect(listing.classes).toEqual(['ant', 'cat', 'dog']);
    expect(listing.files.map((f) => f.slice(dataset.length + 1))).toEqual([
      'ant/x.png',
      'cat/a.png',
      'cat/b.JPG',
      'cat/nested/c.png',
      'dog/z.jpeg',
    ]);
    expect(Array.from(listing.labels)).toEqual([0, 1, 1, 1, 2]);
  });

  it('shuffles with a seed (deterministically) before applying the limit', () => {
    const a = listImageFolder(dataset, { seed: 3 });
    const b = listImageFolder(dataset, { seed: 3 });
    expect(a.files).toEqual(b.files);
    expect([...a.files].sort()).toEqual(listImageFolder(dataset).files);
    const limited = listImageFolder(dataset, { seed: 3, limit: 2 });
    expect(limited.files).toEqual(a.files.slice(0, 2));
    expect(Array.from(limited.labels)).toEqual(Array.from(a.labels.subarray(0, 2)));
    expect(listImageFolder(dataset, { limit: 2 }).files).toEqual(listImageFolder(dataset).files.slice(0, 2));
  });
});

describe('loadImageFolder', () => {
  it('decodes PNG and JPEG and preprocesses every image to [N, 3, S, S]', () => {
    const config = { ...defaultProcessorConfig(4), doNormalize: false };
    const data = loadImageFolder(dataset, config);
    expect(data.pixelValues.shape).toEqual([5, 3, 4, 4]);
    const perImage = 3 * 4 * 4;
    const pixels = data.pixelValues.data as Float32Array;
    const meanOf = (i: number) =>
      pixels.subarray(i * perImage, (i + 1) * perImage).reduce((s, v) => s + v, 0) / perImage;
    // Constant images stay constant through resize and crop; rescale maps v to v/255.
    expect(meanOf(0)).toBeCloseTo(1, 6); // ant/x.png, 255
    expect(meanOf(1)).toBeCloseTo(10 / 255, 6); // cat/a.png
    expect(Math.abs(meanOf(2) - 200 / 255)).toBeLessThan(2 / 255); // cat/b.JPG, lossy
    expect(meanOf(3)).toBeCloseTo(50 / 255, 6);
    expect(Array.from(data.labels)).toEqual([0, 1, 1, 1, 2]);
  });

  it('names the file that fails to decode, and folders that are missing or empty', () => {
    const broken = join(root, 'broken');
    mkdirSync(join(broken, 'a'), { recursive: true });
    writeFileSync(join(broken, 'a', 'ok.png'), png(2, 2, 1));
    writeFileSync(join(broken, 'a', 'bad.png'), 'definitely not a png');
    const config = defaultProcessorConfig(2);
    expect(() => loadImageFolder(broken, config)).toThrow(WemoeError);
    expect(() => loadImageFolder(broken, config)).toThrow(
      `${join(broken, 'a', 'bad.png')}: not a PNG or JPEG`,
    );
    expect(() => listImageFolder(join(root, 'missing'))).toThrow(/missing: image folder not found/);
    const empty = join(root, 'empty');
    mkdirSync(join(empty, 'only'), { recursive: true });
    expect(() => listImageFolder(empty)).toThrow(/only: class folder holds no \.png\/\.jpg\/\.jpeg image/);
    expect(() => listImageFolder(dataset, { limit: 0 })).toThrow(/limit: expected a positive integer/);
  });
});
