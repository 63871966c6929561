/**
 * Image-folder datasets laid out as torchvision's ImageFolder: one sub-folder per class, class ids
 * in sorted folder-name order, images (*.png, *.jpg, *.jpeg, any case) anywhere below each class folder.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { preprocessEncoded } from './encoded-images.js';
import type { ProcessorConfig } from './preprocess/config.js';
import { createRandom, shuffleInPlace } from './random.js';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export interface ImageFolderOptions {
  /** Keep at most this many images (after shuffling when `seed` is given). */
  readonly limit?: number;
  /** Shuffle the images with this seed; without it they stay in class, then file-name, order. */
  readonly seed?: number;
}

export interface ImageFolderListing {
  readonly classes: string[];
  readonly files: string[];
  readonly labels: Int32Array;
}

export interface ImageFolderDataset extends ImageFolderListing {
  /** F32 [N, 3, H, W], preprocessed. */
  readonly pixelValues: Tensor;
}

/** The classes and image files of a folder, without reading the images. */
export function listImageFolder(dir: string, options: ImageFolderOptions = {}): ImageFolderListing {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new WemoeError(`${dir}: image folder not found (expected one sub-folder per class)`);
  }
  const classes = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  if (classes.length === 0) throw new WemoeError(`${dir}: no class sub-folders found`);
  let items: { file: string; label: number }[] = [];
  classes.forEach((name, label) => {
    const files = imageFilesBelow(join(dir, name));
    if (files.length === 0)
      throw new WemoeError(`${join(dir, name)}: class folder holds no .png/.jpg/.jpeg image`);
    for (const file of files) items.push({ file, label });
  });
  if (options.seed !== undefined) shuffleInPlace(items, createRandom(options.seed));
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new WemoeError(`${dir}: limit: expected a positive integer, got ${options.limit}`);
    }
    items = items.slice(0, options.limit);
  }
  return { classes, files: items.map((i) => i.file), labels: Int32Array.from(items, (i) => i.label) };
}

/** Decodes and preprocesses image files into F32 [N, 3, H, W]; a file that fails is named in the error. */
export function loadImageFiles(files: readonly string[], processor: ProcessorConfig): Tensor {
  if (files.length === 0) throw new WemoeError('loadImageFiles: files: expected at least one image file');
  return preprocessEncoded(
    files.map((file) => ({ name: file, bytes: () => readFileSync(file) })),
    processor,
  );
}

export function loadImageFolder(
  dir: string,
  processor: ProcessorConfig,
  options: ImageFolderOptions = {},
): ImageFolderDataset {
  const listing = listImageFolder(dir, options);
  return { ...listing, pixelValues: loadImageFiles(listing.files, processor) };
}

function imageFilesBelow(dir: string): string[] {
  const files: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...imageFilesBelow(path));
    else if (IMAGE_EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext))) files.push(path);
  }
  return files;
}
