import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImageFiles } from '../../../src/data/image-folder.js';
import { openParquetSplit } from '../../../src/data/parquet/parquet-split.js';
import { defaultProcessorConfig, type ProcessorConfig } from '../../../src/data/preprocess/config.js';
import { createRandom } from '../../../src/data/random.js';
import { loadTaskData, openTaskData } from '../../../src/data/task-data.js';
import { WemoeError } from '../../../src/errors.js';
import { pngFromRgb, type Sample, writeImageParquet } from './fixture.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-parquet-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Pixel values are the bytes themselves: every step of preprocessing off. */
const raw: ProcessorConfig = {
  ...defaultProcessorConfig(),
  doResize: false,
  doCenterCrop: false,
  doRescale: false,
  doNormalize: false,
};

const W = 5;
const H = 4;
const CLASSES = ['airplane', 'bird', 'cat', 'deer', 'frog'];

/** `count` random RGB images ([H, W, 3] bytes) and labels. */
function randomSamples(count: number, seed: number): { rgb: Uint8Array[]; samples: Sample[] } {
  const random = createRandom(seed);
  const rgb = Array.from({ length: count }, () =>
    Uint8Array.from({ length: H * W * 3 }, () => Math.floor(random.uniform() * 256)),
  );
  const samples = rgb.map((bytes) => ({
    image: pngFromRgb(W, H, bytes),
    label: Math.floor(random.uniform() * CLASSES.length),
  }));
  return { rgb, samples };
}

/** [H, W, 3] bytes → the [3, H, W] values the raw processor gives. */
function chw(rgb: Uint8Array): number[] {
  const out: number[] = [];
  for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) out.push(rgb[p * 3 + c]);
  return out;
}

function expectPixels(data: Float32Array, rgb: readonly Uint8Array[], rows: readonly number[]): void {
  const plane = 3 * H * W;
  rows.forEach((row, i) => {
    expect(Array.from(data.subarray(i * plane, (i + 1) * plane))).toEqual(chw(rgb[row]));
  });
}

describe('parquet datasets (Hugging Face layout)', () => {
  const { rgb, samples } = randomSamples(23, 1);
  const file = join(root, 'one.parquet');
  writeImageParquet(file, samples, { rowGroupSize: 4, classes: CLASSES });

  it('read back a multi-row-group file exactly: labels, class names, pixels in any order', async () => {
    const data = await openTaskData('t', { data: file, split: 'test' }, raw);
    expect(data.count).toBe(23);
    expect(data.classes).toEqual(CLASSES);
    expect(Array.from(data.labels)).toEqual(samples.map((s) => s.label));
    const rows = [22, 0, 5, 5, 13, 3, 4];
    const pixels = await data.pixels(rows);
    expect(pixels.shape).toEqual([rows.length, 3, H, W]);
    expectPixels(pixels.data as Float32Array, rgb, rows);
  });

  it('stays exact when the row-group cache holds almost nothing (every group read again)', async () => {
    const split = await openParquetSplit([file], raw, { cacheBytes: 1 });
    const rows = Array.from({ length: 23 }, (_, i) => (i * 7) % 23);
    for (let start = 0; start < rows.length; start += 6) {
      const batch = rows.slice(start, start + 6);
      expectPixels((await split.pixels(batch)).data as Float32Array, rgb, batch);
    }
  });

  it('reads the shards of data/<split>-*.parquet in order, and <split>/*.parquet', async () => {
    const hub = join(root, 'hub');
    mkdirSync(join(hub, 'data'), { recursive: true });
    writeImageParquet(join(hub, 'data', 'test-00001-of-00002.parquet'), samples.slice(10), {
      rowGroupSize: 5,
      classes: CLASSES,
    });
    writeImageParquet(join(hub, 'data', 'test-00000-of-00002.parquet'), samples.slice(0, 10), {
      classes: CLASSES,
      codec: 'UNCOMPRESSED',
    });
    writeImageParquet(join(hub, 'data', 'train-00000-of-00001.parquet'), samples.slice(0, 3), {
      classes: CLASSES,
    });
    const test = await openTaskData('t', { data: hub, split: 'test' }, raw);
    expect(Array.from(test.labels)).toEqual(samples.map((s) => s.label));
    expectPixels((await test.pixels([9, 10, 22])).data as Float32Array, rgb, [9, 10, 22]);
    expect((await openTaskData('t', { data: hub, split: 'train' }, raw)).count).toBe(3);
    await expect(openTaskData('t', { data: hub, split: 'validation' }, raw)).rejects.toThrow(
      /hub: no parquet file of split validation .*found splits: test, train\)$/,
    );

    const configs = join(root, 'configs');
    mkdirSync(join(configs, 'cropped_digits'), { recursive: true });
    writeImageParquet(join(configs, 'cropped_digits', 'test-00000-of-00001.parquet'), samples.slice(0, 2), {
      classes: CLASSES,
    });
    expect((await openTaskData('t', { data: configs, split: 'test' }, raw)).count).toBe(2);
    mkdirSync(join(configs, 'full_numbers'));
    writeImageParquet(join(configs, 'full_numbers', 'test-00000-of-00001.parquet'), samples.slice(0, 3), {
      classes: CLASSES,
    });
    await expect(openTaskData('t', { data: configs, split: 'test' }, raw)).rejects.toThrow(
      /configs: split test is in several configuration folders \(cropped_digits, full_numbers\); name one in data$/,
    );
    expect((await openTaskData('t', { data: join(configs, 'full_numbers'), split: 'test' }, raw)).count).toBe(
      3,
    );

    const bySplit = join(root, 'by-split');
    mkdirSync(join(bySplit, 'test'), { recursive: true });
    writeImageParquet(join(bySplit, 'test', 'part-0.parquet'), samples.slice(0, 4), { classes: CLASSES });
    const data = await openTaskData('t', { data: bySplit, split: 'test' }, raw);
    expect(Array.from(data.labels)).toEqual(samples.slice(0, 4).map((s) => s.label));
  });

  it('keeps a seeded random subset in row order under a limit', async () => {
    const a = await openTaskData('t', { data: file, split: 'test' }, raw, { limit: 6 });
    const b = await openTaskData('t', { data: file, split: 'test' }, raw, { limit: 6 });
    expect(a.count).toBe(6);
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    // Find the kept rows from their pixels: distinct, increasing, and each with its own label.
    const plane = 3 * H * W;
    const pixels = (await a.pixels([0, 1, 2, 3, 4, 5])).data as Float32Array;
    const kept = [0, 1, 2, 3, 4, 5].map((i) =>
      rgb.findIndex((x) => chw(x).every((v, j) => v === pixels[i * plane + j])),
    );
    expect(kept.every((row, i) => row >= 0 && (i === 0 || row > kept[i - 1]))).toBe(true);
    expect(Array.from(a.labels)).toEqual(kept.map((row) => samples[row].label));
  });

  it('without features metadata: the label column by name, classes 0..max', async () => {
    const plain = join(root, 'plain.parquet');
    writeImageParquet(plain, samples.slice(0, 5), { imageColumn: 'img' });
    const data = await openTaskData('t', { data: plain, split: 'test' }, raw);
    const max = Math.max(...samples.slice(0, 5).map((s) => s.label));
    expect(data.classes).toEqual(Array.from({ length: max + 1 }, (_, c) => String(c)));
    expectPixels((await data.pixels([4])).data as Float32Array, rgb, [4]);
  });

  it('decodes JPEG bytes and preprocesses them as the image-folder path does', async () => {
    const random = createRandom(5);
    const jpegs = [40, 57].map((w, i) => {
      const rgba = Uint8Array.from({ length: w * 31 * 4 }, () => Math.floor(random.uniform() * 256));
      const bytes = new Uint8Array(jpeg.encode({ width: w, height: 31, data: rgba }, 90).data);
      writeFileSync(join(root, `img${i}.jpg`), bytes);
      return { image: bytes, label: i };
    });
    const jpegFile = join(root, 'jpeg.parquet');
    writeImageParquet(jpegFile, jpegs, { classes: ['a', 'b'] });
    const processor = defaultProcessorConfig(24);
    const data = await openTaskData('t', { data: jpegFile, split: 'test' }, processor);
    const expected = loadImageFiles([join(root, 'img0.jpg'), join(root, 'img1.jpg')], processor);
    const got = await data.pixels([0, 1]);
    expect(got.shape).toEqual([2, 3, 24, 24]);
    expect(Array.from(got.data as Float32Array)).toEqual(Array.from(expected.data as Float32Array));
  });

  it('fails in one line naming the file: not parquet, truncated, no image column, label out of range', async () => {
    const open = (path: string) => openTaskData('t', { data: path, split: 'test' }, raw);
    const bad = join(root, 'bad.parquet');
    writeFileSync(bad, 'this is not a parquet file at all');
    await expect(open(bad)).rejects.toThrow(WemoeError);
    await expect(open(bad)).rejects.toThrow(/^\S+bad\.parquet: not a readable parquet file \([^\n]+\)$/);
    const truncated = join(root, 'truncated.parquet');
    const whole = readFileSync(file);
    writeFileSync(truncated, whole.subarray(0, whole.length >> 1));
    await expect(open(truncated)).rejects.toThrow(/truncated\.parquet: not a readable parquet file/);
    const noLabel = join(root, 'no-label.parquet');
    writeImageParquet(noLabel, samples.slice(0, 2), { labelColumn: 'fine_label' });
    await expect(open(noLabel)).resolves.toMatchObject({ count: 2 }); // the only integer column
    const noImage = join(root, 'no-image.parquet');
    parquetWriteFile({ filename: noImage, columnData: [{ name: 'label', data: [1n, 2n], type: 'INT64' }] });
    await expect(open(noImage)).rejects.toThrow(/no-image\.parquet: no image column \(expected a struct/);
    const few = join(root, 'few-classes.parquet');
    writeImageParquet(few, samples.slice(0, 8), { classes: ['only'] });
    await expect(open(few)).rejects.toThrow(
      /few-classes\.parquet: label \d out of range: its features name 1 classes/,
    );
    expect(() => loadTaskData('t', { data: file, split: 'test' }, raw)).toThrow(/openTaskData/);
  });
});
