/** A small PNG grid of the first images of a split, so people can see what a task looks like. */
import { renameSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { SIDE } from './raster.js';

const GAP = 2;
const GAP_GRAY = 128;

/** `columns`×`rows` grid of images [N, C, 32, 32] (C = 1 or 3) at `scale`, written atomically to `path`. */
export function writeContactSheet(
  path: string,
  images: Uint8Array,
  channels: 1 | 3,
  columns = 10,
  rows = 4,
  scale = 1,
): void {
  const cell = SIDE * scale + GAP;
  const png = new PNG({ width: columns * cell + GAP, height: rows * cell + GAP });
  for (let i = 0; i < png.data.length; i += 4) png.data.fill(GAP_GRAY, i, i + 3).fill(255, i + 3, i + 4);
  const count = Math.min(columns * rows, images.length / (channels * SIDE * SIDE));
  for (let n = 0; n < count; n++) {
    const left = GAP + (n % columns) * cell;
    const top = GAP + Math.floor(n / columns) * cell;
    for (let y = 0; y < SIDE * scale; y++) {
      for (let x = 0; x < SIDE * scale; x++) {
        const at = ((top + y) * png.width + left + x) * 4;
        const source = Math.floor(y / scale) * SIDE + Math.floor(x / scale);
        for (let c = 0; c < 3; c++) {
          const plane = channels === 1 ? 0 : c;
          png.data[at + c] = images[(n * channels + plane) * SIDE * SIDE + source];
        }
      }
    }
  }
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, PNG.sync.write(png));
  renameSync(temporary, path);
}
