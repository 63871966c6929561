/**
 * The exported graph as `onnx/model.onnx`: weights inline while the file stays under protobuf's 2 GiB
 * limit, else in `model.onnx_data` beside it (the name transformers.js looks for); with dtype f16 every
 * large float32 weight is stored as float16 and cast back to float32 on load, so the model's inputs,
 * outputs and arithmetic stay float32 and only the download halves.
 */
import onnxProto from 'onnx-proto';
import type { Value } from '../graph/graph.js';
import { type ExternalChunk, emitModel } from '../graph/onnx/emit.js';
import { writeModelFiles } from '../runtime/save.js';
import { f32ArrayToF16 } from '../tensor/f16.js';
import type { Tensor } from '../tensor/tensor.js';

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type NodeProto = onnxProto.onnx.INodeProto;

export type ExportDType = 'f32' | 'f16';
export const MODEL_FILE = 'model.onnx';
export const DATA_FILE = 'model.onnx_data';
/** Below protobuf's 2 GiB message limit with room for the graph itself. */
export const MAX_INLINE_BYTES = 2 ** 31 - 2 ** 26;
/** Weights smaller than this stay float32 and inline (norms, biases of tiny models): nothing to gain. */
const MIN_CONVERTED_BYTES = 1024;
const ALIGNMENT = 65536;

export interface OnnxFileOptions {
  readonly dtype: ExportDType;
  /** Weights above this many bytes in all go to the external data file (default MAX_INLINE_BYTES). */
  readonly maxInlineBytes?: number;
}

export interface OnnxFileInfo {
  readonly path: string;
  /** Bytes of weights stored (after f16 conversion). */
  readonly weightBytes: number;
  /** Whether the weights are in DATA_FILE. */
  readonly externalData: boolean;
}

interface Weight {
  readonly proto: TensorProto;
  readonly bytes: Uint8Array;
}

/** A weight as stored, and the node that turns it back into float32 when it was converted. */
interface Stored {
  readonly weight: Weight;
  readonly cast?: NodeProto;
}

/** Writes `outputs` (name → value of one graph) as dir/model.onnx (+ dir/model.onnx_data when large). */
export function writeExportOnnx(
  outputs: Readonly<Record<string, Value>>,
  dir: string,
  options: OnnxFileOptions,
): OnnxFileInfo {
  // Every constant ≥ 1 KiB is emitted as external: the protobuf stays small and the bytes stay in
  // their typed arrays until placed below.
  const emitted = emitModel(outputs, { externalData: 'always', externalFile: DATA_FILE });
  const byOffset = new Map(emitted.external.map((c) => [c.offset, c.tensor]));
  const model = onnx.ModelProto.decode(emitted.bytes);
  const graph = model.graph!;
  const weights = (graph.initializer ?? []).map((proto) => ({ proto, bytes: weightBytes(proto, byOffset) }));
  const stored: Stored[] =
    options.dtype === 'f16' ? weights.map(toFloat16) : weights.map((weight) => ({ weight }));
  const converted = stored.map((s) => s.weight);
  // Casts first: their inputs are initializers, and every later node may read their outputs.
  graph.node = [...stored.flatMap((s) => (s.cast ? [s.cast] : [])), ...(graph.node ?? [])];
  const total = converted.reduce((n, w) => n + w.bytes.byteLength, 0);
  const external = total > (options.maxInlineBytes ?? MAX_INLINE_BYTES);
  const chunks = place(converted, external);
  graph.initializer = converted.map((w) => w.proto);
  const bytes = onnx.ModelProto.encode(model).finish();
  const path = writeModelFiles(dir, MODEL_FILE, {
    bytes,
    inputs: emitted.inputs,
    outputNames: emitted.outputNames,
    external: chunks,
    boundConstants: [],
  });
  return { path, weightBytes: total, externalData: external };
}

function weightBytes(proto: TensorProto, byOffset: ReadonlyMap<number, Tensor>): Uint8Array {
  if (proto.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return proto.rawData!;
  const offset = Number(proto.externalData!.find((e) => e.key === 'offset')!.value);
  const { data } = byOffset.get(offset)!;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A float32 weight as float16 under a new name, with the Cast that restores the old name; others as they are. */
function toFloat16(w: Weight, index: number): Stored {
  if (w.proto.dataType !== onnx.TensorProto.DataType.FLOAT || w.bytes.byteLength < MIN_CONVERTED_BYTES)
    return { weight: w };
  const half = f32ArrayToF16(new Float32Array(w.bytes.slice().buffer));
  const name = `${w.proto.name}.f16`;
  const cast = {
    opType: 'Cast',
    name: `Cast_f16_${index}`,
    input: [name],
    output: [w.proto.name!],
    attribute: [
      { name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT },
    ],
  };
  const proto = { ...w.proto, name, dataType: onnx.TensorProto.DataType.FLOAT16 };
  return { weight: { proto, bytes: new Uint8Array(half.buffer) }, cast };
}

/**
 * Sets where each weight lives: all inline, or the ones ≥ 1 KiB in DATA_FILE at 64 KiB aligned offsets
 * (so that ONNX Runtime can map them); returns the external chunks to write.
 */
function place(weights: readonly Weight[], external: boolean): ExternalChunk[] {
  const chunks: ExternalChunk[] = [];
  let offset = 0;
  for (const w of weights) {
    const p = w.proto;
    p.externalData = [];
    p.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    p.rawData = w.bytes;
    if (!external || w.bytes.byteLength < MIN_CONVERTED_BYTES) continue;
    const entries = { location: DATA_FILE, offset: String(offset), length: String(w.bytes.byteLength) };
    p.externalData = Object.entries(entries).map(([key, value]) => ({ key, value }));
    p.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    p.rawData = new Uint8Array(0);
    const tensor: Tensor = { dtype: 'U8', shape: [w.bytes.byteLength], data: w.bytes };
    chunks.push({ tensor, location: DATA_FILE, offset });
    offset = Math.ceil((offset + w.bytes.byteLength) / ALIGNMENT) * ALIGNMENT;
  }
  return chunks;
}
