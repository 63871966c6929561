/**
 * Text task rows from one split of a Hugging Face text dataset in parquet (GLUE's as downloaded from the
 * Hub). GLUE's evaluation splits are small (at most ~10k rows), so a split is read whole; int64 labels
 * become numbers.
 */
import { readFileSync } from 'node:fs';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { WemoeError } from '../../errors.js';
import type { TextRow } from '../text-rows.js';
import { parquetSplitFiles } from './split-files.js';

function textRow(object: Record<string, unknown>): TextRow {
  const row: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(object)) {
    if (typeof value === 'string' || typeof value === 'number') row[name] = value;
    else if (typeof value === 'bigint') row[name] = Number(value);
  }
  return row;
}

/** The rows of split `split` of the parquet dataset at `data` (a file or a dataset folder), in order. */
export async function readParquetTextRows(data: string, split: string): Promise<TextRow[]> {
  const files = parquetSplitFiles(data, split);
  if (files.length === 0) throw new WemoeError(`${data}: no parquet files of split ${split}`);
  const rows: TextRow[] = [];
  for (const file of files) {
    const bytes = readFileSync(file);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    let objects: Record<string, unknown>[];
    try {
      objects = await parquetReadObjects({ file: buffer, compressors });
    } catch (error) {
      throw new WemoeError(
        `${file}: cannot read the parquet rows (${error instanceof Error ? error.message : error})`,
      );
    }
    rows.push(...objects.map(textRow));
  }
  if (rows.length === 0) throw new WemoeError(`${data}: split ${split} holds no rows`);
  return rows;
}
