import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteTask } from '../../scripts/suite/tasks.js';
import {
  loadSuiteSplit,
  readSuiteFile,
  type SuiteData,
  suiteSplitPath,
  suiteTasks,
} from '../../src/data/suite.js';
import { WemoeError } from '../../src/errors.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { needs } from '../support/system-deps.js';

const PLANE = 32 * 32;
const EXPECTED = {
  mnist: { classes: 10, test: 1000, gray: true },
  fashion: { classes: 10, test: 1000, gray: true },
  'uci-digits': { classes: 10, test: 600, gray: true },
  letters: { classes: 26, test: 1014, gray: false },
  'house-digits': { classes: 10, test: 1000, gray: false },
  greek: { classes: 24, test: 1008, gray: true },
  kana: { classes: 20, test: 1000, gray: false },
  shapes: { classes: 12, test: 1008, gray: false },
} as const;

function classCounts(data: SuiteData): number[] {
  const counts = new Array<number>(data.classes.length).fill(0);
  for (const label of data.labels) counts[label]++;
  return counts;
}

function imageDigests(data: SuiteData): string[] {
  return Array.from({ length: data.count }, (_, i) =>
    createHash('sha1')
      .update(data.images.subarray(i * 3 * PLANE, (i + 1) * 3 * PLANE))
      .digest('hex'),
  );
}

/** Byte equality of two arrays (vitest's deep equality is slow on megabyte arrays). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

const scratch = mkdtempSync(join(tmpdir(), 'wemoe-suite-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('suite test splits (committed)', () => {
  it('lists the eight tasks in a fixed order', () => {
    expect(suiteTasks()).toEqual([
      'mnist',
      'fashion',
      'uci-digits',
      'letters',
      'house-digits',
      'greek',
      'kana',
      'shapes',
    ]);
  });

  for (const task of suiteTasks()) {
    const expected = EXPECTED[task as keyof typeof EXPECTED];
    it(`${task}: shapes, labels, exact class balance, distinct non-blank images`, () => {
      const data = loadSuiteSplit(task, 'test');
      expect(data.count).toBe(expected.test);
      expect(data.classes.length).toBe(expected.classes);
      expect(new Set(data.classes).size).toBe(expected.classes);
      expect(data.images.length).toBe(data.count * 3 * PLANE);
      expect(data.labels.length).toBe(data.count);
      expect(classCounts(data)).toEqual(new Array(expected.classes).fill(expected.test / expected.classes));
      expect(new Set(imageDigests(data)).size).toBe(data.count);
      let spread = 0;
      for (let i = 0; i < data.count; i++) {
        let low = 255;
        let high = 0;
        for (const v of data.images.subarray(i * 3 * PLANE, (i + 1) * 3 * PLANE)) {
          low = Math.min(low, v);
          high = Math.max(high, v);
        }
        spread += high - low;
      }
      expect(spread / data.count).toBeGreaterThan(100);
    });
  }

  it('replicates grayscale tasks to three equal channels and keeps colour tasks coloured', () => {
    for (const task of suiteTasks()) {
      const data = loadSuiteSplit(task, 'test', { limit: 20 });
      let channelDifference = 0;
      for (let i = 0; i < data.count; i++) {
        const base = i * 3 * PLANE;
        for (let p = 0; p < PLANE; p++)
          channelDifference += Math.abs(data.images[base + p] - data.images[base + 2 * PLANE + p]);
      }
      if (EXPECTED[task as keyof typeof EXPECTED].gray) expect(channelDifference, task).toBe(0);
      else expect(channelDifference / (data.count * PLANE), task).toBeGreaterThan(5);
    }
  });

  it('limit keeps a balanced prefix of the same images', () => {
    const full = loadSuiteSplit('letters', 'test');
    const head = loadSuiteSplit('letters', 'test', { limit: 52 });
    expect(head.count).toBe(52);
    expect(sameBytes(head.images, full.images.subarray(0, 52 * 3 * PLANE))).toBe(true);
    expect(classCounts(head)).toEqual(new Array(26).fill(2));
  });

  it('rejects bad arguments and malformed files with one-line WemoeErrors', () => {
    expect(() => loadSuiteSplit('svhn', 'test')).toThrow(/unknown; expected one of mnist/);
    expect(() => loadSuiteSplit('mnist', 'test', { limit: 0 })).toThrow(WemoeError);
    expect(() => readSuiteFile(join(scratch, 'none.safetensors'), 'mnist', 'train')).toThrow(
      /npm run build-suite-data/,
    );
    const bad = join(scratch, 'bad.safetensors');
    saveSafetensors(
      bad,
      {
        images: { dtype: 'F32', shape: [2, 1, 32, 32], data: new Float32Array(2 * PLANE) },
        labels: { dtype: 'U8', shape: [2], data: new Uint8Array([0, 1]) },
      },
      { classes: '["a","b"]', task: 'mnist' },
    );
    expect(() => readSuiteFile(bad, 'mnist', 'test')).toThrow(
      /tensor "images": expected U8 \[N, 1 or 3, 32, 32\], got F32/,
    );
    const wrongLabel = join(scratch, 'label.safetensors');
    saveSafetensors(
      wrongLabel,
      {
        images: { dtype: 'U8', shape: [2, 1, 32, 32], data: new Uint8Array(2 * PLANE) },
        labels: { dtype: 'U8', shape: [2], data: new Uint8Array([0, 2]) },
      },
      { classes: '["a","b"]', task: 'mnist' },
    );
    expect(() => readSuiteFile(wrongLabel, 'mnist', 'test')).toThrow(/label 2 at 1 is not below 2 classes/);
  });
});

describe('suite train splits (.cache/suite, built by npm run build-suite-data)', () => {
  for (const task of suiteTasks()) {
    const cached = existsSync(suiteSplitPath(task, 'train'));
    it.runIf(cached)(`${task}: balanced, and disjoint from the test split`, () => {
      const train = loadSuiteSplit(task, 'train');
      const test = loadSuiteSplit(task, 'test');
      expect(train.classes).toEqual(test.classes);
      expect(train.count).toBeGreaterThanOrEqual(1000);
      const counts = classCounts(train);
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(0.9 * Math.max(...counts));
      const testDigests = new Set(imageDigests(test));
      expect(imageDigests(train).filter((d) => testDigests.has(d))).toEqual([]);
    });
    if (!cached)
      console.log(
        `suite train cache for ${task} missing: train checks skipped (run npm run build-suite-data)`,
      );
  }
});

describe('generation is deterministic', () => {
  it('rebuilds the committed uci-digits test split byte for byte', needs('sklearn-digits'), () => {
    const rebuilt = suiteTask('uci-digits').build('test', 600);
    const committed = loadSuiteSplit('uci-digits', 'test');
    const red = new Uint8Array(600 * PLANE);
    for (let i = 0; i < 600; i++)
      red.set(committed.images.subarray(i * 3 * PLANE, i * 3 * PLANE + PLANE), i * PLANE);
    expect(sameBytes(rebuilt.images, red)).toBe(true);
    expect(sameBytes(Int32Array.from(rebuilt.labels), committed.labels)).toBe(true);
  });

  it('renders the same letters twice', needs('suite-fonts'), () => {
    const first = suiteTask('letters').build('test', 12);
    const second = suiteTask('letters').build('test', 12);
    expect(sameBytes(second.images, first.images)).toBe(true);
    expect(Array.from(first.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
