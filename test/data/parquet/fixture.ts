/** Hugging Face-style image-classification parquet files, written with hyparquet-writer for the tests. */

import { parquetWriteFile } from 'hyparquet-writer';
import { PNG } from 'pngjs';

export interface Sample {
  /** PNG or JPEG bytes. */
  readonly image: Uint8Array;
  readonly label: number;
}

export interface WriteOptions {
  readonly rowGroupSize?: number;
  /** ClassLabel names written to the `huggingface` features metadata; without them, no metadata. */
  readonly classes?: readonly string[];
  readonly codec?: 'SNAPPY' | 'UNCOMPRESSED';
  readonly imageColumn?: string;
  readonly labelColumn?: string;
}

/** The schema `datasets` writes: image: struct<bytes: binary, path: string>, label: int64. */
export function writeImageParquet(
  file: string,
  samples: readonly Sample[],
  options: WriteOptions = {},
): void {
  const image = options.imageColumn ?? 'image';
  const label = options.labelColumn ?? 'label';
  const features = {
    [image]: { _type: 'Image' },
    [label]: { names: options.classes, _type: 'ClassLabel' },
  };
  parquetWriteFile({
    filename: file,
    schema: [
      { name: 'schema', num_children: 2 },
      { name: image, repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
      { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: label, type: 'INT64', repetition_type: 'OPTIONAL' },
    ],
    columnData: [
      { name: image, data: samples.map((s) => ({ bytes: s.image, path: null })) },
      { name: label, data: samples.map((s) => BigInt(s.label)) },
    ],
    rowGroupSize: options.rowGroupSize,
    codec: options.codec,
    kvMetadata: options.classes
      ? [{ key: 'huggingface', value: JSON.stringify({ info: { features } }) }]
      : undefined,
  });
}

/** A PNG of RGB bytes laid out [H, W, 3]. */
export function pngFromRgb(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const image = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    image.data[p * 4] = rgb[p * 3];
    image.data[p * 4 + 1] = rgb[p * 3 + 1];
    image.data[p * 4 + 2] = rgb[p * 3 + 2];
    image.data[p * 4 + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(image));
}
