/**
 * The static page of an export (assets/web: index.html, app.js, preprocess.js, style.css) and a local
 * copy of the onnxruntime-web files it loads (ort/), so that it works offline and from no CDN.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { assetsDir } from '../data/suite.js';
import { WemoeError } from '../errors.js';

/** The WebGPU build of onnxruntime-web (it also runs on WASM) and the WebAssembly module it loads. */
export const ORT_WEB_FILES = [
  'ort.webgpu.min.mjs',
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
] as const;

/** The folder of the page's own files. */
export function webAssetsDir(): string {
  return join(assetsDir(), 'web');
}

function ortWebDist(): string {
  try {
    // The package's Node entry lives in dist/, beside the browser files.
    return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  } catch {
    throw new WemoeError('export --web: the npm package onnxruntime-web is not installed (npm install)');
  }
}

/** Copies the page and onnxruntime-web's files into `dir` (an export folder). */
export function writeWebPage(dir: string): void {
  const assets = webAssetsDir();
  for (const name of readdirSync(assets)) copyFileSync(join(assets, name), join(dir, name));
  const ort = join(dir, 'ort');
  mkdirSync(ort, { recursive: true });
  const dist = ortWebDist();
  for (const name of ORT_WEB_FILES) copyFileSync(join(dist, name), join(ort, name));
}
