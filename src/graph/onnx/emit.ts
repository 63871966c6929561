/** The ONNX emitter: the values needed by named outputs become one ModelProto (opset 18). */
import onnxProto from 'onnx-proto';
import { WemoeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Value } from '../graph.js';
import { ancestorsInOrder } from '../interpret.js';
import { opDef } from '../ops/registry.js';
import type { Dim, GraphDType } from '../types.js';
import { EmitContext } from './emit-context.js';
import { MS_DOMAIN, ONNX_DTYPE } from './lower-context.js';

const { onnx } = onnxProto;
export const OPSET = 18;
/** Protobuf messages cannot exceed 2 GiB; above this many constant bytes they go to external data. */
const AUTO_EXTERNAL_BYTES = 1 << 30;
/** Constants smaller than this stay inline even when the model uses external data. */
const MIN_EXTERNAL_BYTES = 1024;

export interface EmitOptions {
  /**
   * Where constant tensors live: inline, in an external data file, or external only when large (default).
   * 'inputs' (compile only): constants ≥ 1 KiB become graph inputs listed in `boundConstants`, which
   * compile binds, so ORT reads them in place (no session copy, no prepacked duplicate).
   */
  readonly externalData?: 'auto' | 'always' | 'never' | 'inputs';
  /** File name (next to the model) for external data; default 'model.onnx.data'. */
  readonly externalFile?: string;
  /**
   * 'one-file' (default): all external constants in `externalFile` at aligned offsets (for saving);
   * 'per-tensor': each in its own location `externalFile.k` (handed to ORT from memory, no copies).
   */
  readonly externalLayout?: 'one-file' | 'per-tensor';
}

/** A constant whose bytes go at `offset` of the external data file `location`. */
export interface ExternalChunk {
  readonly tensor: Tensor;
  readonly location: string;
  readonly offset: number;
}

export interface EmittedModel {
  /** The serialized ModelProto. */
  readonly bytes: Uint8Array;
  /** Graph inputs in ONNX input order. */
  readonly inputs: readonly Value[];
  readonly outputNames: readonly string[];
  /** Empty when every constant is inline. */
  readonly external: readonly ExternalChunk[];
  /** Constants emitted as graph inputs (externalData 'inputs'; also listed in `inputs`). */
  readonly boundConstants: readonly Value[];
}

/** Emits the subgraph computing `outputs` (output name → value). */
export function emitModel(outputs: Readonly<Record<string, Value>>, options: EmitOptions = {}): EmittedModel {
  const entries = Object.entries(outputs);
  if (entries.length === 0) throw new WemoeError('emit: no outputs requested');
  const values = ancestorsInOrder(entries.map(([, v]) => v));
  const ctx = new EmitContext();
  const allConstants = values.filter((v) => v.source.kind === 'constant');
  const bound = new Set(options.externalData === 'inputs' ? allConstants.filter(isLarge) : []);
  const inputs = values.filter((v) => v.source.kind === 'input' || bound.has(v));
  const constants = allConstants.filter((v) => !bound.has(v));
  for (const v of [...inputs, ...constants]) ctx.claim(v, v.name);
  // A node output requested once is named after its output directly; others go through an Identity.
  const direct = new Map<Value, string>();
  for (const [name, v] of entries) if (v.source.kind === 'node' && !direct.has(v)) direct.set(v, name);
  const directNames = new Set(direct.values());
  for (const [name] of entries) ctx.reserve(name);
  const external = planExternal(constants, options);
  const initializers = constants.map((v) => tensorProto(v, external.get(v)));
  for (const v of inputs) ctx.addSymbolSource(v);
  lowerNodes(ctx, values, direct);
  for (const [name, v] of entries) if (!directNames.has(name)) ctx.emit('Identity', [ctx.nameOf(v)], [name]);
  const graph = onnx.GraphProto.create({
    name: 'wemoe',
    node: ctx.nodes,
    initializer: [...initializers, ...ctx.initializers],
    input: inputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
    output: entries.map(([name, v]) => valueInfo(name, v.dtype, v.shape)),
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'wemoe',
    opsetImport: [
      { domain: '', version: OPSET },
      // ONNX Runtime's own kernels (version 1 of its domain), only where a node uses one.
      ...(ctx.nodes.some((n) => n.domain === MS_DOMAIN) ? [{ domain: MS_DOMAIN, version: 1 }] : []),
    ],
    graph,
  });
  const bytes = onnx.ModelProto.encode(model).finish();
  const chunks = [...external.entries()].map(([v, place]) => ({ tensor: constantTensor(v), ...place }));
  const outputNames = entries.map(([n]) => n);
  return { bytes, inputs, outputNames, external: chunks, boundConstants: [...bound] };
}

/** Lowers every node in order; a value in `direct` is computed under that (output) name. */
function lowerNodes(ctx: EmitContext, values: readonly Value[], direct: ReadonlyMap<Value, string>): void {
  for (const v of values) {
    const src = v.source;
    if (src.kind !== 'node') continue;
    const named = direct.get(v);
    if (named) ctx.alias(v, named);
    const out = named ?? ctx.claim(v, `v${v.id}`);
    const inputs = src.node.inputs.map((x) => ctx.nameOf(x));
    opDef(src.node.op).lower(ctx, inputs, out, src.node.attrs, src.node);
    ctx.addSymbolSource(v);
  }
}

type Placement = { readonly location: string; readonly offset: number };

/** Where each external constant goes; offsets 64 KiB aligned so that ORT can map them. */
function planExternal(constants: readonly Value[], options: EmitOptions): Map<Value, Placement> {
  const plan = new Map<Value, Placement>();
  const mode = options.externalData ?? 'auto';
  const file = options.externalFile ?? 'model.onnx.data';
  const total = constants.reduce((n, v) => n + constantTensor(v).data.byteLength, 0);
  if (mode === 'never' || mode === 'inputs' || (mode === 'auto' && total < AUTO_EXTERNAL_BYTES)) return plan;
  let offset = 0;
  for (const v of constants) {
    if (!isLarge(v)) continue;
    const size = constantTensor(v).data.byteLength;
    if (options.externalLayout === 'per-tensor') {
      plan.set(v, { location: `${file}.${plan.size}`, offset: 0 });
    } else {
      plan.set(v, { location: file, offset });
      offset = Math.ceil((offset + size) / 65536) * 65536;
    }
  }
  return plan;
}

const isLarge = (v: Value): boolean => constantTensor(v).data.byteLength >= MIN_EXTERNAL_BYTES;

export function constantTensor(v: Value): Tensor {
  if (v.source.kind !== 'constant') throw new WemoeError(`emit: ${v.name} is not a constant`);
  return v.source.tensor;
}

function tensorProto(v: Value, place: Placement | undefined): onnxProto.onnx.ITensorProto {
  const t = constantTensor(v);
  const base = { name: v.name, dims: [...t.shape], dataType: ONNX_DTYPE[v.dtype] };
  if (!place)
    return { ...base, rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
  const entries = {
    location: place.location,
    offset: String(place.offset),
    length: String(t.data.byteLength),
  };
  return {
    ...base,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: Object.entries(entries).map(([key, value]) => ({ key, value })),
  };
}

/** Typed value info; plain symbols become dim_param, derived ones ('batch*50') stay unnamed. */
function valueInfo(name: string, dtype: GraphDType, shape: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  const dim = shape.map((d) =>
    typeof d === 'number' ? { dimValue: d } : /^[A-Za-z_]\w*$/.test(d) ? { dimParam: d } : {},
  );
  return { name, type: { tensorType: { elemType: ONNX_DTYPE[dtype], shape: { dim } } } };
}
