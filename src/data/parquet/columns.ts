/**
 * Which columns of a Hugging Face image-classification parquet file hold the images and the labels, and
 * the class names. The `huggingface` key of the file's key-value metadata carries the dataset's
 * features (`{"info": {"features": {"image": {"_type": "Image"}, "label": {"_type": "ClassLabel",
 * "names": [...]}}}}`); without it, the image column is the struct with a `bytes` field and the label
 * column the integer column named `label` (or `labels`, or the only integer column).
 */
import type { FileMetaData, SchemaTree } from 'hyparquet';
import { parquetSchema } from 'hyparquet';
import { WemoeError } from '../../errors.js';

export interface ImageLabelColumns {
  readonly image: string;
  readonly label: string;
  /** ClassLabel names when the features metadata gives them. */
  readonly classes?: readonly string[];
}

interface Feature {
  readonly _type?: string;
  readonly names?: unknown;
}

function features(metadata: FileMetaData): Record<string, Feature> {
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface');
  if (!entry?.value) return {};
  try {
    const parsed = JSON.parse(entry.value) as { info?: { features?: unknown } };
    const f = parsed.info?.features;
    return f !== null && typeof f === 'object' && !Array.isArray(f) ? (f as Record<string, Feature>) : {};
  } catch {
    return {};
  }
}

const INTEGER_TYPES = new Set(['INT32', 'INT64']);

function isImageStruct(column: SchemaTree): boolean {
  return column.children.some((c) => c.element.name === 'bytes' && c.element.type === 'BYTE_ARRAY');
}

function isInteger(column: SchemaTree): boolean {
  return column.children.length === 0 && INTEGER_TYPES.has(column.element.type ?? '');
}

/** The image and label columns of `file`; an error names the file and what was looked for. */
export function imageLabelColumns(metadata: FileMetaData, file: string): ImageLabelColumns {
  const columns = parquetSchema(metadata).children;
  const byName = new Map(columns.map((c) => [c.element.name, c]));
  const feats = Object.entries(features(metadata));
  const imageName =
    feats.find(([name, f]) => f._type === 'Image' && byName.has(name))?.[0] ??
    columns.find(isImageStruct)?.element.name;
  const image = imageName === undefined ? undefined : byName.get(imageName);
  if (!image || !isImageStruct(image))
    throw new WemoeError(
      `${file}: no image column (expected a struct column with a bytes field, as Hugging Face's Image feature)`,
    );
  const labelled = feats.filter(([name, f]) => f._type === 'ClassLabel' && byName.has(name));
  const integers = columns.filter(isInteger);
  const labelName =
    (labelled.find(([name]) => name === 'label') ?? labelled[0])?.[0] ??
    integers.find((c) => c.element.name === 'label' || c.element.name === 'labels')?.element.name ??
    (integers.length === 1 ? integers[0].element.name : undefined);
  const label = labelName === undefined ? undefined : byName.get(labelName);
  if (!label || !isInteger(label))
    throw new WemoeError(
      `${file}: no label column (expected an integer column named label, or a ClassLabel feature)`,
    );
  const names = feats.find(([name]) => name === labelName)?.[1].names;
  const classes =
    Array.isArray(names) && names.length > 0 && names.every((n) => typeof n === 'string')
      ? (names as string[])
      : undefined;
  return { image: image.element.name, label: label.element.name, classes };
}
