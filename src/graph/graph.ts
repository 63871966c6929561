/** The IR: a Graph owns Values; each Value is a graph input, a constant, or the output of one Node. */
import { WemoeError } from '../errors.js';
import { numel, type Tensor } from '../tensor/tensor.js';
import { opDef } from './ops/registry.js';
import { normalizeAxis, shapeText } from './shape.js';
import { type Attrs, type Dim, GRAPH_DTYPES, type GraphDType, type NodeLike, type Shape } from './types.js';

export type ValueSource =
  | { readonly kind: 'input' }
  | { readonly kind: 'constant'; readonly tensor: Tensor }
  | { readonly kind: 'node'; readonly node: Node };

export class Node implements NodeLike<Value> {
  constructor(
    readonly op: string,
    readonly inputs: readonly Value[],
    readonly attrs: Attrs,
    readonly output: Value,
  ) {}
}

/** A tensor-valued operand: knows its dtype and (possibly symbolic) shape; methods build new nodes. */
export class Value {
  /** Set by the graph right after construction for node outputs. */
  source: ValueSource;
  /**
   * Where a gradient rule needs this value, autodiff recomputes it from its inputs (recursively through
   * marked inputs) instead of keeping the forward's copy alive until the backward: for values that are
   * large but cheap to rebuild, such as WEMoE's per-sample merged weights.
   */
  recomputeInBackward = false;

  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly dtype: GraphDType,
    readonly shape: Shape,
    source: ValueSource,
  ) {
    this.source = source;
  }

  get rank(): number {
    return this.shape.length;
  }
  /** The producing node, or undefined for inputs and constants. */
  get node(): Node | undefined {
    return this.source.kind === 'node' ? this.source.node : undefined;
  }

  add(other: Value | number): Value {
    return this.graph.op('Add', [this, this.graph.lift(other, this)]);
  }
  sub(other: Value | number): Value {
    return this.graph.op('Sub', [this, this.graph.lift(other, this)]);
  }
  mul(other: Value | number): Value {
    return this.graph.op('Mul', [this, this.graph.lift(other, this)]);
  }
  div(other: Value | number): Value {
    return this.graph.op('Div', [this, this.graph.lift(other, this)]);
  }
  pow(other: Value | number): Value {
    return this.graph.op('Pow', [this, this.graph.lift(other, this)]);
  }
  /** Elementwise `this > other` as BOOL. */
  gt(other: Value | number): Value {
    return this.graph.op('Greater', [this, this.graph.lift(other, this)]);
  }
  /** Elementwise `this == other` as BOOL. */
  eq(other: Value | number): Value {
    return this.graph.op('Equal', [this, this.graph.lift(other, this)]);
  }
  neg(): Value {
    return this.graph.op('Neg', [this]);
  }
  exp(): Value {
    return this.graph.op('Exp', [this]);
  }
  log(): Value {
    return this.graph.op('Log', [this]);
  }
  sqrt(): Value {
    return this.graph.op('Sqrt', [this]);
  }
  relu(): Value {
    return this.graph.op('Relu', [this]);
  }
  sigmoid(): Value {
    return this.graph.op('Sigmoid', [this]);
  }
  tanh(): Value {
    return this.graph.op('Tanh', [this]);
  }
  erf(): Value {
    return this.graph.op('Erf', [this]);
  }
  /** Batched, broadcasting matrix product over the last two axes (rank ≥ 2), optionally of transposed operands. */
  matmul(other: Value, options: { transposeA?: boolean; transposeB?: boolean } = {}): Value {
    const attrs = { transA: options.transposeA === true, transB: options.transposeB === true };
    return this.graph.op('MatMul', [this, other], attrs);
  }
  /** Permutes axes; without `perm`, reverses them. */
  transpose(perm?: readonly number[]): Value {
    return this.graph.op('Transpose', [this], { perm: perm ?? this.shape.map((_, i) => this.rank - 1 - i) });
  }
  /** Swaps the last two axes. */
  mT(): Value {
    const perm = this.shape.map((_, i) => i);
    [perm[this.rank - 2], perm[this.rank - 1]] = [perm[this.rank - 1], perm[this.rank - 2]];
    return this.transpose(perm);
  }
  /** New shape; -1 infers one dim, 0 copies the input's dim, a symbol names a dim of the same name. */
  reshape(shape: readonly Dim[]): Value {
    return this.graph.op('Reshape', [this], { shape });
  }
  /** Broadcasts to `shape` (numpy rules; symbols allowed). */
  expand(shape: readonly Dim[]): Value {
    return this.graph.op('Expand', [this], { shape });
  }
  sum(axes?: number | readonly number[], keepdims = false): Value {
    return this.reduce('ReduceSum', axes, keepdims);
  }
  mean(axes?: number | readonly number[], keepdims = false): Value {
    return this.reduce('ReduceMean', axes, keepdims);
  }
  max(axes?: number | readonly number[], keepdims = false): Value {
    return this.reduce('ReduceMax', axes, keepdims);
  }
  /** Elements [start, end) along `axis` (negative indices count from the end), with a step. */
  slice(axis: number, start: number, end: number, step = 1): Value {
    return this.graph.op('Slice', [this], {
      axis: normalizeAxis('Slice', axis, this.rank),
      start,
      end,
      step,
    });
  }
  /** Picks `indices` along `axis`: an I64/I32 Value, a list of constants, or one index (drops the axis). */
  gather(axis: number, indices: Value | number | readonly number[]): Value {
    const idx =
      typeof indices === 'number'
        ? this.graph.scalar(indices, 'I64')
        : Array.isArray(indices)
          ? this.graph.constantI64(indices as number[])
          : (indices as Value);
    return this.graph.op('Gather', [this, idx], { axis: normalizeAxis('Gather', axis, this.rank) });
  }
  cast(dtype: GraphDType): Value {
    return this.graph.op('Cast', [this], { to: dtype });
  }
  /** Same value; no gradient flows through it. */
  stopGradient(): Value {
    return this.graph.op('StopGradient', [this]);
  }

  private reduce(op: string, axes: number | readonly number[] | undefined, keepdims: boolean): Value {
    const list = axes === undefined ? this.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : axes;
    const normalized = [...new Set(list.map((a) => normalizeAxis(op, a, this.rank)))].sort((a, b) => a - b);
    return this.graph.op(op, [this], { axes: normalized, keepdims });
  }
}

/** A graph under construction; values are never removed, emission keeps what the outputs need. */
export class Graph {
  private readonly values: Value[] = [];
  private readonly names = new Set<string>();
  private readonly scalars = new Map<string, Value>();
  /**
   * Set by autodiff when it recomputed a value for the backward: the runtime then keeps ONNX Runtime's
   * common-subexpression elimination from merging the copy back into the forward's.
   */
  hasRecomputedValues = false;

  /** A run-time input fed on every run (symbolic dims such as 'batch' allowed). */
  input(name: string, dtype: GraphDType, shape: Shape): Value {
    this.claim(name);
    return this.add(name, dtype, shape, { kind: 'input' });
  }

  /** A constant baked into the model (an ONNX initializer, or external data when large). */
  constant(tensor: Tensor, name?: string): Value {
    const label = name ?? `const_${this.values.length}`;
    if (!GRAPH_DTYPES.includes(tensor.dtype as GraphDType)) {
      throw new WemoeError(
        `graph: constant ${label} has dtype ${tensor.dtype}, expected one of ${GRAPH_DTYPES.join(', ')}`,
      );
    }
    if (numel(tensor.shape) !== tensor.data.length) {
      throw new WemoeError(
        `graph: constant ${label} has ${tensor.data.length} values for shape ${shapeText(tensor.shape)}`,
      );
    }
    this.claim(label);
    const dtype = tensor.dtype as GraphDType;
    return this.add(label, dtype, [...tensor.shape], { kind: 'constant', tensor });
  }

  /** A rank-0 constant, shared between uses of the same value and dtype. */
  scalar(value: number, dtype: GraphDType = 'F32'): Value {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let v = this.scalars.get(key);
    if (!v) {
      v = this.constant(hostScalar(value, dtype));
      this.scalars.set(key, v);
    }
    return v;
  }

  /** A rank-1 I64 constant (indices). */
  constantI64(values: readonly number[]): Value {
    return this.constant({
      dtype: 'I64',
      shape: [values.length],
      data: BigInt64Array.from(values.map(BigInt)),
    });
  }

  /** A number becomes a scalar constant of `like`'s dtype. */
  lift(x: Value | number, like: Value): Value {
    if (typeof x === 'number') return this.scalar(x, like.dtype);
    if (x.graph !== this) throw new WemoeError(`value ${x.name} belongs to another graph`);
    return x;
  }

  /** Applies primitive `op` (checked by its shape rule) and returns its output. */
  op(op: string, inputs: readonly Value[], attrs: Attrs = {}): Value {
    const def = opDef(op);
    if (def.arity !== 'variadic' && inputs.length !== def.arity) {
      throw new WemoeError(`${op}: expected ${def.arity} inputs, got ${inputs.length}`);
    }
    for (const x of inputs)
      if (x.graph !== this) throw new WemoeError(`${op}: input ${x.name} is from another graph`);
    const info = def.infer(inputs, attrs);
    const out = this.add(`v${this.values.length}`, info.dtype as GraphDType, [...info.shape], {
      kind: 'input',
    });
    out.source = { kind: 'node', node: new Node(op, inputs, attrs, out) };
    return out;
  }

  /** All values in creation order (a topological order). */
  allValues(): readonly Value[] {
    return this.values;
  }

  private add(name: string, dtype: GraphDType, shape: Shape, source: ValueSource): Value {
    for (const d of shape) {
      if (typeof d === 'number' && (!Number.isInteger(d) || d < 0)) {
        throw new WemoeError(`value ${name}: bad dimension ${d} in shape ${shapeText(shape)}`);
      }
    }
    const v = new Value(this, this.values.length, name, dtype, shape, source);
    this.values.push(v);
    return v;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new WemoeError(`graph: the name ${name} is used twice`);
    this.names.add(name);
  }
}

function hostScalar(value: number, dtype: GraphDType): Tensor {
  switch (dtype) {
    case 'F32':
      return { dtype, shape: [], data: Float32Array.of(value) };
    case 'F64':
      return { dtype, shape: [], data: Float64Array.of(value) };
    case 'I64':
      return { dtype, shape: [], data: BigInt64Array.of(BigInt(value)) };
    case 'I32':
      return { dtype, shape: [], data: Int32Array.of(value) };
    case 'BOOL':
      return { dtype, shape: [], data: Uint8Array.of(value ? 1 : 0) };
    default:
      throw new WemoeError(`graph: scalar constants of dtype ${dtype} are not supported`);
  }
}
