/** The LowerContext the emitter hands to op lowerings: names, nodes, constants, symbolic shape tensors. */
import type onnxProto from 'onnx-proto';
import { WemoeError } from '../../errors.js';
import type { Value } from '../graph.js';
import type { Dim, GraphDType } from '../types.js';
import { attrInt, type LowerContext, ONNX_DTYPE, type OnnxAttr } from './lower-context.js';

type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

export class EmitContext implements LowerContext {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly taken = new Set<string>();
  private readonly names = new Map<Value, string>();
  private readonly constants = new Map<string, string>();
  private readonly symbolSources = new Map<string, { tensor: string; axis: number }>();
  private readonly symbolTensors = new Map<string, string>();
  private counter = 0;

  /** Gives `v` the name `wanted` (made unique when taken) and returns it. */
  claim(v: Value, wanted: string): string {
    const name = this.taken.has(wanted) ? this.fresh(wanted) : wanted;
    this.taken.add(name);
    this.names.set(v, name);
    return name;
  }

  /** Names `v` by an already reserved name (an output's). */
  alias(v: Value, name: string): void {
    this.names.set(v, name);
  }

  /** Keeps a name (an output's) for its owner; a clash with an input or constant is an error. */
  reserve(name: string): void {
    if (this.taken.has(name))
      throw new WemoeError(`emit: output name ${name} is also an input or constant name`);
    this.taken.add(name);
  }

  nameOf(v: Value): string {
    const name = this.names.get(v);
    if (name === undefined) throw new WemoeError(`emit: value ${v.name} used before it is computed`);
    return name;
  }

  /** Records which axis of `v` carries each of its symbolic dims (first carrier wins). */
  addSymbolSource(v: Value): void {
    v.shape.forEach((d, axis) => {
      if (typeof d === 'string' && !this.symbolSources.has(d))
        this.symbolSources.set(d, { tensor: this.nameOf(v), axis });
    });
  }

  emit(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Record<string, OnnxAttr> = {},
    domain = '',
  ): void {
    const attribute = Object.entries(attrs).map(([name, a]) => attributeProto(name, a));
    this.nodes.push({
      opType,
      ...(domain ? { domain } : {}),
      input: [...inputs],
      output: [...outputs],
      name: `${opType}_${this.nodes.length}`,
      attribute,
    });
  }

  fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${this.counter++}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  constI64(values: readonly number[]): string {
    return this.constant(
      `i64:${values.join(',')}`,
      'I64',
      [values.length],
      BigInt64Array.from(values.map(BigInt)),
    );
  }

  constScalar(value: number, dtype: GraphDType): string {
    const data =
      dtype === 'F64' ? Float64Array.of(value) : dtype === 'F32' ? Float32Array.of(value) : undefined;
    if (!data) throw new WemoeError(`emit: scalar constants of dtype ${dtype} are not supported here`);
    return this.constant(`${dtype}:${value}`, dtype, [], data);
  }

  shapeTensor(dims: readonly Dim[], fallback?: (axis: number) => number | undefined): string {
    const pieces: string[] = [];
    let literals: number[] = [];
    const flush = () => {
      if (literals.length > 0) pieces.push(this.constI64(literals));
      literals = [];
    };
    dims.forEach((d, axis) => {
      const tensor = typeof d === 'string' ? this.symbolTensor(d) : undefined;
      if (tensor) {
        flush();
        pieces.push(tensor);
        return;
      }
      const literal = typeof d === 'number' ? d : fallback?.(axis);
      if (literal === undefined) throw new WemoeError(`emit: no value carries the symbolic dim ${d}`);
      literals.push(literal);
    });
    flush();
    if (pieces.length === 0) return this.constI64([]);
    if (pieces.length === 1) return pieces[0];
    const out = this.fresh('shape');
    this.emit('Concat', pieces, [out], { axis: attrInt(0) });
    return out;
  }

  /** A rank-1 INT64 tensor holding the run-time size of `symbol`, or undefined when no value carries it. */
  private symbolTensor(symbol: string): string | undefined {
    const cached = this.symbolTensors.get(symbol);
    if (cached) return cached;
    const source = this.symbolSources.get(symbol);
    if (!source) return undefined;
    const out = this.fresh(`dim_${symbol.replace(/\W/g, '_')}`);
    this.emit('Shape', [source.tensor], [out], {
      start: attrInt(source.axis),
      end: attrInt(source.axis + 1),
    });
    this.symbolTensors.set(symbol, out);
    return out;
  }

  private constant(key: string, dtype: GraphDType, dims: number[], data: ArrayBufferView): string {
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('const');
    const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims, dataType: ONNX_DTYPE[dtype], rawData });
    this.constants.set(key, name);
    return name;
  }
}

function attributeProto(name: string, a: OnnxAttr): onnxProto.onnx.IAttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: 2, i: a.value };
    case 'ints':
      return { name, type: 7, ints: [...a.value] };
    case 'float':
      return { name, type: 1, f: a.value };
    case 'string':
      return { name, type: 3, s: new TextEncoder().encode(a.value) };
  }
}
