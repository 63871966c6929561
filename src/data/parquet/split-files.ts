/**
 * The parquet files of one split of a Hugging Face dataset as downloaded from the Hub: one `.parquet`
 * file, or a folder holding `data/<split>-*.parquet`, `<split>-*.parquet` or `<split>/*.parquet`, or one
 * configuration folder holding `<split>-*.parquet` (e.g. `mnist/`, `cropped_digits/`); shards in
 * file-name order, which is the shards' row order (`-00000-of-00003`, `-00001-of-...`).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WemoeError } from '../../errors.js';

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function parquetIn(dir: string, prefix: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.parquet') && name.startsWith(prefix))
    .sort()
    .map((name) => join(dir, name));
}

/** The split's files in row order, or [] when `data` is no parquet dataset (another kind of data). */
export function parquetSplitFiles(data: string, split: string): string[] {
  if (data.endsWith('.parquet')) return [data];
  if (!isDir(data)) return [];
  for (const files of [
    parquetIn(join(data, 'data'), `${split}-`),
    parquetIn(data, `${split}-`),
    parquetIn(join(data, split), ''),
  ]) {
    if (files.length > 0) return files;
  }
  const configs = readdirSync(data)
    .sort()
    .filter((name) => parquetIn(join(data, name), `${split}-`).length > 0);
  if (configs.length === 1) return parquetIn(join(data, configs[0]), `${split}-`);
  if (configs.length > 1)
    throw new WemoeError(
      `${data}: split ${split} is in several configuration folders (${configs.join(', ')}); name one in data`,
    );
  const others = [...parquetIn(join(data, 'data'), ''), ...parquetIn(data, '')];
  if (others.length > 0) {
    const splits = [...new Set(others.map((f) => f.slice(f.lastIndexOf('/') + 1).replace(/-.*$/, '')))];
    throw new WemoeError(
      `${data}: no parquet file of split ${split} (expected data/${split}-*.parquet; found splits: ${splits.join(', ')})`,
    );
  }
  return [];
}
