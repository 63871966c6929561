/** The reference interpreter: evaluates values in float64 with each op's TypeScript definition. */
import { WemoeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Value } from './graph.js';
import { opDef } from './ops/registry.js';
import { toRef } from './ref-tensor.js';
import { shapeText } from './shape.js';
import type { Attrs, RefTensor } from './types.js';

/** Evaluates `outputs` given host tensors for the graph inputs they depend on (by input name). */
export function interpret(
  outputs: readonly Value[],
  feeds: Readonly<Record<string, Tensor | RefTensor>>,
): RefTensor[] {
  const memo = new Map<Value, RefTensor>();
  const symbols = new Map<string, number>();
  const order = ancestorsInOrder(outputs);
  for (const v of order) {
    const src = v.source;
    if (src.kind === 'constant') memo.set(v, toRef(src.tensor));
    else if (src.kind === 'input') memo.set(v, checkedFeed(v, feeds, symbols));
    else {
      const inputs = src.node.inputs.map((x) => memo.get(x)!);
      memo.set(v, opDef(src.node.op).evaluate(inputs, resolveSymbols(src.node.attrs, symbols)));
    }
    bindShape(v, memo.get(v)!, symbols);
  }
  return outputs.map((o) => memo.get(o)!);
}

function checkedFeed(
  v: Value,
  feeds: Readonly<Record<string, Tensor | RefTensor>>,
  symbols: Map<string, number>,
): RefTensor {
  const t = feeds[v.name];
  if (!t) throw new WemoeError(`interpret: input ${v.name} was not fed`);
  const r = t.data instanceof Float64Array ? (t as RefTensor) : toRef(t as Tensor);
  const ok =
    r.shape.length === v.rank &&
    v.shape.every((d, i) => (typeof d === 'number' ? d === r.shape[i] : bind(symbols, d, r.shape[i])));
  if (!ok)
    throw new WemoeError(
      `interpret: input ${v.name} has shape ${shapeText(r.shape)}, expected ${shapeText(v.shape)}`,
    );
  return { ...r, dtype: v.dtype };
}

/** Records the sizes that the value's symbolic dims take in this run. */
function bindShape(v: Value, r: RefTensor, symbols: Map<string, number>): void {
  v.shape.forEach((d, i) => {
    if (typeof d === 'string' && !symbols.has(d)) symbols.set(d, r.shape[i]);
  });
}

/** Symbols inside list attributes (Reshape/Expand targets) replaced by their sizes in this run. */
function resolveSymbols(attrs: Attrs, symbols: ReadonlyMap<string, number>): Attrs {
  const entries = Object.entries(attrs).map(([k, a]) => [
    k,
    Array.isArray(a) ? a.map((d) => (typeof d === 'string' && symbols.has(d) ? symbols.get(d) : d)) : a,
  ]);
  return Object.fromEntries(entries);
}

function bind(symbols: Map<string, number>, name: string, size: number): boolean {
  const known = symbols.get(name);
  if (known === undefined) symbols.set(name, size);
  return known === undefined || known === size;
}

/** Every value the outputs depend on, in creation (topological) order. */
export function ancestorsInOrder(outputs: readonly Value[]): Value[] {
  const seen = new Set<Value>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const x of v.node?.inputs ?? []) stack.push(x);
  }
  return [...seen].sort((a, b) => a.id - b.id);
}
