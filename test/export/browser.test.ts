/**
 * The exported web page in headless Chromium: `wemoe serve` on a free port, a fixed non-square PNG
 * through the page's file input; the probabilities and routing weights it shows equal `wemoe forward`'s,
 * and it fetches nothing outside localhost.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/data/image/decode.js';
import { preprocessBatch } from '../../src/data/preprocess/clip.js';
import { loadProcessorConfig } from '../../src/data/preprocess/config.js';
import { exportModelFolder } from '../../src/export/export-model.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { forwardFile } from '../../src/models/forward-file.js';
import { launchChromium } from '../support/chromium.js';
import { needs } from '../support/system-deps.js';
import { TASKS, writeFixture } from './fixtures.js';

const fixture = writeFixture();
const servers: ChildProcess[] = [];
afterAll(() => {
  for (const server of servers) server.kill();
  rmSync(fixture.dir, { recursive: true, force: true });
});

/** A 23×17 RGB PNG (not square, not the model's 8×8): smooth colours with a diagonal stripe. */
function writeTestImage(path: string): void {
  const png = new PNG({ width: 23, height: 17, colorType: 2 });
  for (let y = 0; y < 17; y++)
    for (let x = 0; x < 23; x++) {
      const i = (y * 23 + x) * 4;
      const stripe = Math.abs(x - y - 3) < 3 ? 120 : 0;
      png.data.set([(x * 11 + stripe) % 256, (y * 15) % 256, (200 - x * 5 - y * 3 + stripe) & 255, 255], i);
    }
  writeFileSync(path, PNG.sync.write(png, { colorType: 2 }));
}

function softmax(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const exps = [...logits].map((x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** Starts `wemoe serve dir --port 0` and returns the URL it prints. */
function serve(dir: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', dir, '--port', '0']);
  servers.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    child.stderr.on('data', (chunk: Buffer) => reject(new Error(chunk.toString())));
    child.on('exit', (code) => reject(new Error(`wemoe serve exited with ${code}`)));
  });
}

interface Expected {
  readonly probabilities: Map<string, number[]>;
  /** [L, 1, T] */
  readonly routing: Float32Array;
}

/** wemoe's side: decode, preprocess as the export's processor config says, forward per task. */
async function expectedFor(dir: string, image: string): Promise<Expected> {
  const rgb = decodeImage(readFileSync(image), image);
  const pixels = preprocessBatch([rgb], loadProcessorConfig(dir));
  const input = join(fixture.dir, 'page-pixels.safetensors');
  saveSafetensors(input, { pixel_values: pixels });
  const probabilities = new Map<string, number[]>();
  let routing: Float32Array = new Float32Array();
  for (const task of Object.keys(TASKS)) {
    const y = await forwardFile({
      model: fixture.wemoe,
      input,
      output: join(fixture.dir, 'page-forward.safetensors'),
      heads: fixture.heads,
      task,
    });
    probabilities.set(task, softmax(y.logits.data as Float32Array));
    routing = y.routing_weights.data as Float32Array;
  }
  return { probabilities, routing };
}

/** Loads the page served at `url`, picks `image` and checks what it shows against `expected`. */
async function checkPage(url: string, image: string, expected: Expected, label: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const loadStart = performance.now();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    const loadMs = performance.now() - loadStart;
    await page.setInputFiles('#file', image);
    await page.waitForSelector('body[data-runs="1"]', { timeout: 60_000 });
    const shown = await page.$$eval('.task', (blocks) =>
      blocks.map((b) => ({
        task: b.getAttribute('data-task'),
        rows: [...b.querySelectorAll('.row')].map((r) => [
          Number(r.getAttribute('data-class-index')),
          Number(r.getAttribute('data-probability')),
        ]),
      })),
    );
    expect(shown.map((s) => s.task)).toEqual(Object.keys(TASKS));
    for (const { task, rows } of shown) {
      const p = expected.probabilities.get(task ?? '')!;
      expect(rows.length).toBe(p.length); // fewer classes than the page's top 5
      for (const [index, probability] of rows) expect(Math.abs(probability - p[index])).toBeLessThan(1e-4);
    }
    const weights = await page.$$eval('#routing td', (cells) =>
      cells.map((c) => Number(c.getAttribute('data-weight'))),
    );
    expect(weights.length).toBe(expected.routing.length);
    expect(Math.max(...weights.map((w, i) => Math.abs(w - expected.routing[i])))).toBeLessThan(1e-4);
    const firstMs = await page.getAttribute('body', 'data-first-inference-ms');
    console.log(`web page (${label}): loaded in ${loadMs.toFixed(0)} ms, first inference ${firstMs} ms`);
    expect(errors).toEqual([]);
    const origin = new URL(url).origin;
    expect(requests.filter((r) => !r.startsWith(origin) && !/^(data|blob):/.test(r))).toEqual([]);
  } finally {
    await browser.close();
  }
}

describe('the web page', () => {
  const options = { ...needs('chromium'), timeout: 120_000 };
  const image = join(fixture.dir, 'test-image.png');

  it('shows wemoe forward’s probabilities and routing weights for a picked image', options, async () => {
    const dir = join(fixture.dir, 'web');
    exportModelFolder(fixture.wemoe, { out: dir, heads: fixture.heads, web: true });
    writeTestImage(image);
    await checkPage(await serve(dir), image, await expectedFor(dir, image), 'tiny model');
  });

  it('loads a model whose weights are in onnx/model.onnx_data', options, async () => {
    const dir = join(fixture.dir, 'web-external');
    exportModelFolder(fixture.wemoe, { out: dir, heads: fixture.heads, web: true, maxInlineBytes: 0 });
    writeTestImage(image);
    await checkPage(await serve(dir), image, await expectedFor(dir, image), 'tiny model, external data');
  });
});
