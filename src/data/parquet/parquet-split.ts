/**
 * One split of a Hugging Face image-classification dataset in parquet (one or more shard files) as
 * labelled images. The labels are read up front (a few bytes a row); the images are read a row group at
 * a time when a batch needs them, and the most recently read row groups are kept up to a byte budget, so
 * that a 100k-image split is never held in memory.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { WemoeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { preprocessEncoded } from '../encoded-images.js';
import type { ProcessorConfig } from '../preprocess/config.js';
import { createRandom, shuffleInPlace } from '../random.js';
import { type ImageLabelColumns, imageLabelColumns } from './columns.js';

export interface ParquetSplitOptions {
  /** Keep a seeded random `limit` of the rows (in row order): a prefix of a class-sorted split would not be balanced. */
  readonly limit?: number;
  /** Bytes of encoded images kept from row groups already read (default 256 MiB). */
  readonly cacheBytes?: number;
}

export interface ParquetSplit {
  readonly count: number;
  readonly classes: readonly string[];
  readonly labels: Int32Array;
  /** pixel_values F32 [B, 3, H, W] of the samples at `indices`. */
  pixels(indices: readonly number[]): Promise<Tensor>;
}

interface Shard {
  readonly file: string;
  readonly buffer: AsyncBuffer;
  readonly metadata: FileMetaData;
  readonly columns: ImageLabelColumns;
  /** First row of the shard in the split. */
  readonly firstRow: number;
  /** First row of each row group in the shard, and the shard's row count last. */
  readonly groupStarts: readonly number[];
}

/** Reads byte ranges with synchronous reads (one small footer read, then whole column chunks). */
function fileBuffer(file: string): AsyncBuffer {
  const byteLength = statSync(file).size;
  return {
    byteLength,
    slice(start, end = byteLength) {
      const out = new Uint8Array(end - start);
      const fd = openSync(file, 'r');
      try {
        for (let done = 0; done < out.length; ) {
          const n = readSync(fd, out, done, out.length - done, start + done);
          if (n === 0) throw new Error(`unexpected end of file at byte ${start + done}`);
          done += n;
        }
      } finally {
        closeSync(fd);
      }
      return out.buffer;
    },
  };
}

function failure(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

async function openShard(file: string, firstRow: number): Promise<Shard> {
  const buffer = fileBuffer(file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new WemoeError(`${file}: not a readable parquet file (${failure(error)})`);
  }
  const groupStarts = [0];
  for (const group of metadata.row_groups)
    groupStarts.push(groupStarts[groupStarts.length - 1] + Number(group.num_rows));
  return { file, buffer, metadata, columns: imageLabelColumns(metadata, file), firstRow, groupStarts };
}

async function readLabels(shard: Shard): Promise<number[]> {
  const { label } = shard.columns;
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({
      file: shard.buffer,
      metadata: shard.metadata,
      columns: [label],
      compressors,
    });
  } catch (error) {
    throw new WemoeError(`${shard.file}: cannot read column ${label} (${failure(error)})`);
  }
  return rows.map((row, i) => {
    const value = Number(row[label]);
    if (!Number.isInteger(value) || value < 0)
      throw new WemoeError(
        `${shard.file}: row ${i}: ${label} ${String(row[label])}: expected a non-negative integer class id`,
      );
    return value;
  });
}

/** Largest i with sorted[i] <= value. */
function floorIndex(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid] <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function checkClasses(shards: readonly Shard[], labels: readonly number[]): readonly string[] {
  const named = shards[0].columns.classes;
  for (const shard of shards.slice(1)) {
    if (JSON.stringify(shard.columns.classes) !== JSON.stringify(named))
      throw new WemoeError(`${shard.file}: class names differ from those of ${shards[0].file}`);
  }
  const max = labels.reduce((m, l) => Math.max(m, l), -1);
  if (!named) return Array.from({ length: max + 1 }, (_, c) => String(c));
  if (max >= named.length) {
    const shard =
      shards[
        floorIndex(
          shards.map((s) => s.firstRow),
          labels.indexOf(max),
        )
      ];
    throw new WemoeError(
      `${shard.file}: label ${max} out of range: its features name ${named.length} classes`,
    );
  }
  return named;
}

function keptRows(total: number, limit: number | undefined, where: string): number[] {
  const rows = Array.from({ length: total }, (_, i) => i);
  if (limit === undefined || limit >= total) return rows;
  if (!Number.isInteger(limit) || limit < 1)
    throw new WemoeError(`${where}: limit: expected a positive integer, got ${limit}`);
  shuffleInPlace(rows, createRandom(0));
  return rows.slice(0, limit).sort((a, b) => a - b);
}

/** Opens the split's shard files; reads their metadata and labels, not their images. */
export async function openParquetSplit(
  files: readonly string[],
  processor: ProcessorConfig,
  options: ParquetSplitOptions = {},
): Promise<ParquetSplit> {
  if (files.length === 0) throw new WemoeError('openParquetSplit: files: expected at least one parquet file');
  const shards: Shard[] = [];
  let total = 0;
  for (const file of files) {
    const shard = await openShard(file, total);
    shards.push(shard);
    total += shard.groupStarts[shard.groupStarts.length - 1];
  }
  if (total === 0) throw new WemoeError(`${files[0]}: the split has no rows`);
  const allLabels: number[] = [];
  for (const shard of shards) for (const l of await readLabels(shard)) allLabels.push(l);
  const classes = checkClasses(shards, allLabels);
  const rows = keptRows(total, options.limit, files[0]);
  const cache = new GroupCache(options.cacheBytes ?? 256 * 2 ** 20);
  const firstRows = shards.map((s) => s.firstRow);

  return {
    count: rows.length,
    classes,
    labels: Int32Array.from(rows, (r) => allLabels[r]),
    async pixels(indices) {
      const images = [];
      for (const k of indices) {
        if (!Number.isInteger(k) || k < 0 || k >= rows.length)
          throw new WemoeError(`${files[0]}: sample ${k} out of range [0, ${rows.length})`);
        const shard = shards[floorIndex(firstRows, rows[k])];
        const row = rows[k] - shard.firstRow;
        const group = floorIndex(shard.groupStarts, row);
        const bytes = (await cache.get(shard, group))[row - shard.groupStarts[group]];
        images.push({ name: `${shard.file} row ${row}`, bytes: () => bytes });
      }
      return preprocessEncoded(images, processor);
    },
  };
}

/** Encoded images of recently read row groups, least recently used dropped first past the budget. */
class GroupCache {
  private readonly groups = new Map<string, Uint8Array[]>();
  private bytes = 0;
  constructor(private readonly budget: number) {}

  async get(shard: Shard, group: number): Promise<Uint8Array[]> {
    const key = `${shard.file}#${group}`;
    const hit = this.groups.get(key);
    if (hit) {
      this.groups.delete(key);
      this.groups.set(key, hit);
      return hit;
    }
    const images = await readGroupImages(shard, group);
    this.groups.set(key, images);
    this.bytes += images.reduce((n, b) => n + b.length, 0);
    for (const [old, value] of this.groups) {
      if (this.bytes <= this.budget || old === key) break;
      this.groups.delete(old);
      this.bytes -= value.reduce((n, b) => n + b.length, 0);
    }
    return images;
  }
}

async function readGroupImages(shard: Shard, group: number): Promise<Uint8Array[]> {
  const { image } = shard.columns;
  const rowStart = shard.groupStarts[group];
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({
      file: shard.buffer,
      metadata: shard.metadata,
      columns: [image],
      rowStart,
      rowEnd: shard.groupStarts[group + 1],
      utf8: false,
      compressors,
    });
  } catch (error) {
    throw new WemoeError(
      `${shard.file}: row group ${group}: cannot read column ${image} (${failure(error)})`,
    );
  }
  return rows.map((row, i) => {
    const cell = row[image] as { bytes?: unknown } | null | undefined;
    if (!(cell?.bytes instanceof Uint8Array))
      throw new WemoeError(
        `${shard.file}: row ${rowStart + i}: ${image} holds no image bytes (images stored as external paths are not read)`,
      );
    return cell.bytes;
  });
}
