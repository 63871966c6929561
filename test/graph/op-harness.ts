/** The op-test harness: reference vs known values, ORT vs reference, gradients vs central differences. */
import { expect } from 'vitest';
import {
  ancestorsInOrder,
  Graph,
  type GraphDType,
  grad,
  interpret,
  type RefTensor,
  type Value,
} from '../../src/graph/index.js';
import { compile } from '../../src/runtime/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export interface InputSpec {
  readonly name: string;
  /** Declared shape (may hold symbols); `feed` gives the concrete shape when it does. */
  readonly shape: readonly (number | string)[];
  readonly feed?: readonly number[];
  readonly dtype?: 'I64' | 'BOOL';
  /** Explicit values; otherwise deterministic random ones in `range`. */
  readonly values?: readonly number[];
  readonly range?: readonly [number, number];
}

export interface OpCase {
  readonly name: string;
  readonly inputs: readonly InputSpec[];
  readonly build: (...xs: Value[]) => Value;
  readonly expected?: readonly number[];
  readonly expectedShape?: readonly number[];
  /** Check gradients (default: when the output is float). */
  readonly grad?: boolean;
  /** ORT has no float64 kernel for this op: run ORT in float32 with float32 tolerances. */
  readonly f32?: boolean;
  /** Other concrete sizes to run through the same session (symbolic-dim cases): input name → shape. */
  readonly rerun?: Readonly<Record<string, readonly number[]>>;
}

/** Ops that appeared in some compiled test graph (forward or gradient). */
export const OPS_SEEN = new Set<string>();

let seed = 12345;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

function concreteShape(spec: InputSpec): number[] {
  return [...(spec.feed ?? (spec.shape as number[]))];
}

function makeValues(spec: InputSpec, shape: readonly number[]): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  if (spec.values && n === spec.values.length) return [...spec.values];
  const [lo, hi] = spec.range ?? [-1, 1];
  return Array.from({ length: n }, () =>
    spec.dtype ? Math.floor(lo + (hi - lo) * random()) : lo + (hi - lo) * random(),
  );
}

function hostTensor(dtype: GraphDType, shape: readonly number[], values: readonly number[]): Tensor {
  const s = [...shape];
  if (dtype === 'F64') return { dtype, shape: s, data: Float64Array.from(values) };
  if (dtype === 'F32') return { dtype, shape: s, data: Float32Array.from(values) };
  if (dtype === 'I64') return { dtype, shape: s, data: BigInt64Array.from(values.map(BigInt)) };
  return { dtype: 'BOOL', shape: s, data: Uint8Array.from(values) };
}

/** Builds the case in `floatType`, with a loss Σ out·R for gradient checks. */
function buildCase(c: OpCase, floatType: GraphDType) {
  const g = new Graph();
  const xs = c.inputs.map((s) => g.input(s.name, s.dtype ?? floatType, s.shape));
  const out = c.build(...xs);
  return { g, xs, out };
}

function closeTo(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const ok =
      Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]) ||
      (Number.isNaN(actual[i]) && Number.isNaN(expected[i]));
    if (!ok) expect.fail(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

function feedsFor(
  c: OpCase,
  dtype: GraphDType,
  shapes: Record<string, readonly number[]>,
  values: Record<string, number[]>,
) {
  return Object.fromEntries(
    c.inputs.map((s) => [s.name, hostTensor(s.dtype ?? dtype, shapes[s.name], values[s.name])]),
  );
}

/** Runs every check of one case. */
export async function checkOp(c: OpCase): Promise<void> {
  const shapes = Object.fromEntries(c.inputs.map((s) => [s.name, concreteShape(s)]));
  const values = Object.fromEntries(c.inputs.map((s) => [s.name, makeValues(s, shapes[s.name])]));
  const ref64 = buildCase(c, 'F64');
  const [refOut] = interpret([ref64.out], feedsFor(c, 'F64', shapes, values));
  if (c.expected) closeTo(refOut.data, c.expected, 1e-9, 1e-12, `${c.name} reference vs known`);
  if (c.expectedShape) expect(refOut.shape).toEqual(c.expectedShape);

  const ortType: GraphDType = c.f32 ? 'F32' : 'F64';
  const [rtol, atol] = c.f32 ? [2e-5, 2e-6] : [1e-10, 1e-12];
  const ortCase = c.f32 ? buildCase(c, 'F32') : ref64;
  const wantGrad = (c.grad ?? ['F64', 'F32'].includes(refOut.dtype)) && c.inputs.some((s) => !s.dtype);
  const outputs: Record<string, Value> = { out: ortCase.out };
  const r = ortCase.g.input('r', ortCase.out.dtype, ortCase.out.shape);
  const floatInputs = ortCase.xs.filter((_, i) => !c.inputs[i].dtype);
  if (wantGrad) {
    const grads = grad(ortCase.out.mul(r).sum(), floatInputs);
    grads.forEach((gv, i) => {
      outputs[`d_${floatInputs[i].name}`] = gv;
    });
  }
  for (const v of ancestorsInOrder(Object.values(outputs))) if (v.node) OPS_SEEN.add(v.node.op);
  // ORT's extended fusions move scalars into float32 attributes (e.g. FusedMatMul's alpha), which would
  // blur float64 checks; float64 graphs therefore run with basic optimizations, float32 ones with all.
  const session = await compile(outputs, { optimization: c.f32 ? 'all' : 'basic' });
  const rValues = makeValues({ name: 'r', shape: refOut.shape }, refOut.shape);
  const feeds = {
    ...feedsFor(c, ortType, shapes, values),
    ...(wantGrad ? { r: hostTensor(ortCase.out.dtype, refOut.shape, rValues) } : {}),
  };
  const result = await session.run(feeds);
  closeTo(
    Array.from(result.out.data as ArrayLike<number>, Number),
    refOut.data,
    rtol,
    atol,
    `${c.name} ORT vs reference`,
  );
  expect(result.out.shape).toEqual(refOut.shape);
  if (wantGrad) checkGradients(c, ortType, shapes, values, rValues, result, refOut);
  if (c.rerun) await rerun(c, session, shapes, ortType);
}

/** Central differences of L = Σ out·R on the float64 reference, against ORT's gradient outputs. */
function checkGradients(
  c: OpCase,
  ortType: GraphDType,
  shapes: Record<string, readonly number[]>,
  values: Record<string, number[]>,
  rValues: readonly number[],
  result: Record<string, Tensor>,
  refOut: RefTensor,
): void {
  const { out } = buildCase(c, 'F64');
  const loss = (vals: Record<string, number[]>) => {
    const [o] = interpret([out], feedsFor(c, 'F64', shapes, vals));
    return o.data.reduce((acc, v, i) => acc + v * rValues[i], 0);
  };
  const h = 1e-6;
  for (const spec of c.inputs.filter((s) => !s.dtype)) {
    const fd = values[spec.name].map((_, k) => {
      const plus = structuredClone(values);
      const minus = structuredClone(values);
      plus[spec.name][k] += h;
      minus[spec.name][k] -= h;
      return (loss(plus) - loss(minus)) / (2 * h);
    });
    const got = result[`d_${spec.name}`];
    expect(got.shape, `${c.name} d_${spec.name} shape`).toEqual(shapes[spec.name]);
    const [rtol, atol] = ortType === 'F32' ? [2e-3, 2e-4] : [1e-6, 1e-7];
    closeTo(
      Array.from(got.data as ArrayLike<number>, Number),
      fd,
      rtol,
      atol,
      `${c.name} d_${spec.name} vs finite differences`,
    );
  }
  expect(refOut.data.length).toBe(rValues.length);
}

/** Feeds other concrete sizes for symbolic dims through the same compiled session. */
async function rerun(
  c: OpCase,
  session: Awaited<ReturnType<typeof compile>>,
  shapes: Record<string, readonly number[]>,
  ortType: GraphDType,
) {
  const shapes2 = { ...shapes, ...c.rerun };
  const values2 = Object.fromEntries(
    c.inputs.map((s) => [s.name, makeValues({ ...s, values: undefined }, shapes2[s.name])]),
  );
  const ref = buildCase(c, 'F64');
  const [expected] = interpret([ref.out], feedsFor(c, 'F64', shapes2, values2));
  const rFeed: Record<string, Tensor> = session.inputs.some((v) => v.name === 'r')
    ? { r: hostTensor(ortType, expected.shape, new Array(expected.data.length).fill(1)) }
    : {};
  const got = await session.run({ ...feedsFor(c, ortType, shapes2, values2), ...rFeed });
  expect(got.out.shape).toEqual(expected.shape);
  const [rtol, atol] = ortType === 'F32' ? [2e-5, 2e-6] : [1e-10, 1e-12];
  closeTo(
    Array.from(got.out.data as ArrayLike<number>, Number),
    expected.data,
    rtol,
    atol,
    `${c.name} rerun`,
  );
}
