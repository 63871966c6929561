import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { WemoeError } from '../../src/errors.js';
import { emitModel, Graph, grad } from '../../src/graph/index.js';
import { compile, saveOnnx } from '../../src/runtime/index.js';
import { float32 } from '../../src/tensor/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-runtime-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** y = x·W + b with W (64×32, 8 KiB) a constant: big enough to go to external data. */
function linearGraph() {
  const g = new Graph();
  const x = g.input('x', 'F32', ['batch', 64]);
  const wData = Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i) / 8);
  const w = g.constant(float32([64, 32], wData), 'w');
  const b = g.constant(
    float32(
      [32],
      Array.from({ length: 32 }, (_, i) => i / 32),
    ),
    'b',
  );
  return { g, x, y: x.matmul(w).add(b), wData };
}

function expectedY(xData: readonly number[], batch: number, wData: readonly number[]): number[] {
  const out: number[] = [];
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < 32; j++) {
      let s = j / 32;
      for (let k = 0; k < 64; k++) s += Math.fround(xData[r * 64 + k]) * Math.fround(wData[k * 32 + j]);
      out.push(s);
    }
  }
  return out;
}

function expectClose(actual: Float32Array, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  for (const [i, v] of actual.entries()) expect(Math.abs(v - expected[i])).toBeLessThan(1e-4);
}

const xData = Array.from({ length: 3 * 64 }, (_, i) => Math.cos(i));

describe('compile', () => {
  it('caches one session per graph, outputs and options', async () => {
    const { y } = linearGraph();
    const a = await compile({ y });
    expect(await compile({ y })).toBe(a);
    expect(await compile({ y }, { threads: 1 })).not.toBe(a);
    expect(await compile({ y }, { spinning: true })).not.toBe(a);
    expect(await compile({ z: y })).not.toBe(a);
  });

  it('gives the same numbers with constants inline and in external data', async () => {
    const { y, wData } = linearGraph();
    const feeds = { x: float32([3, 64], xData) };
    const inline = await (await compile({ y }, { externalData: 'never' })).run(feeds);
    const external = await (await compile({ y }, { externalData: 'always' })).run(feeds);
    expect(emitModel({ y }, { externalData: 'always' }).external.map((c) => [c.location, c.offset])).toEqual([
      ['model.onnx.data', 0],
    ]);
    const perTensor = emitModel({ y }, { externalData: 'always', externalLayout: 'per-tensor' }).external;
    expect(perTensor.map((c) => [c.location, c.tensor.shape])).toEqual([['model.onnx.data.0', [64, 32]]]);
    expect(Array.from(external.y.data as Float32Array)).toEqual(Array.from(inline.y.data as Float32Array));
    const expected = expectedY(xData, 3, wData);
    expectClose(inline.y.data as Float32Array, expected);
  });

  it('saves a deployable model that plain onnxruntime runs (external data beside it)', async () => {
    const { y, wData } = linearGraph();
    const path = saveOnnx({ y }, join(dir, 'linear.onnx'), { externalData: 'always' });
    expect(
      readdirSync(dir)
        .filter((f) => f.startsWith('linear'))
        .sort(),
    ).toEqual(['linear.onnx', 'linear.onnx.data']);
    const session = await ort.InferenceSession.create(path);
    expect(session.inputNames).toEqual(['x']);
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from(xData.slice(0, 64)), [1, 64]),
    });
    const expected = expectedY(xData, 1, wData);
    expectClose(out.y.data as Float32Array, expected);
  });

  it('aligns several constants in one external file and reads them back', async () => {
    const g = new Graph();
    const x = g.input('x', 'F32', [1, 300]);
    const a = g.constant(
      float32(
        [300],
        Array.from({ length: 300 }, (_, i) => i),
      ),
      'a',
    );
    const b = g.constant(
      float32(
        [300],
        Array.from({ length: 300 }, (_, i) => 1000 * i),
      ),
      'b',
    );
    const y = x.mul(a).add(b);
    expect(emitModel({ y }, { externalData: 'always' }).external.map((c) => c.offset)).toEqual([0, 65536]);
    const path = saveOnnx({ y }, join(dir, 'two.onnx'), { externalData: 'always' });
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(300).fill(2), [1, 300]) });
    expect((out.y.data as Float32Array)[299]).toBe(2 * 299 + 299000);
    const inMemory = await (await compile({ y }, { externalData: 'always' })).run({
      x: float32([1, 300], new Array(300).fill(2)),
    });
    expect(Array.from(inMemory.y.data as Float32Array)).toEqual(Array.from(out.y.data as Float32Array));
  });

  it("writes ONNX Runtime's per-node profile when the session is released", async () => {
    const { y, wData } = linearGraph();
    const prefix = join(dir, 'profile');
    const session = await compile({ y }, { profile: prefix, threads: 1 });
    const out = await session.run({ x: float32([3, 64], xData) });
    expectClose(out.y.data as Float32Array, expectedY(xData, 3, wData));
    await session.dispose();
    const files = readdirSync(dir).filter((f) => f.startsWith('profile'));
    expect(files).toHaveLength(1);
    const events = JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as { cat: string; name: string }[];
    expect(events.some((e) => e.cat === 'Session' && e.name === 'model_run')).toBe(true);
    expect(events.some((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'))).toBe(true);
  });

  it('bound inputs need not be fed on each run', async () => {
    const g = new Graph();
    const x = g.input('x', 'F32', ['batch', 2]);
    const frozen = g.input('frozen', 'F32', [2]);
    const compiled = await compile({ y: x.mul(frozen) });
    compiled.bind({ frozen: float32([2], [10, 100]) });
    const out = await compiled.run({ x: float32([2, 2], [1, 2, 3, 4]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([10, 200, 30, 400]);
  });

  it('rejects bad feeds with one line naming the input and what was expected', async () => {
    const { g, y } = linearGraph();
    const compiled = await compile({ y });
    await expect(compiled.run({})).rejects.toThrow(new WemoeError('run: input x was not fed'));
    await expect(compiled.run({ x: float32([3, 63]) })).rejects.toThrow(
      'run: input x has shape [3, 63], expected [batch, 64]',
    );
    const wrongType = { dtype: 'F64' as const, shape: [1, 64], data: new Float64Array(64) };
    await expect(compiled.run({ x: wrongType })).rejects.toThrow('run: input x has dtype F64, expected F32');
    expect(() => g.input('x', 'F32', [1])).toThrow('graph: the name x is used twice');
  });

  it('reports an execution provider this build lacks in one line', async () => {
    const { y } = linearGraph();
    await expect(compile({ y }, { provider: 'no-such-provider' })).rejects.toThrow(
      /^compile: ONNX Runtime could not open the model \(providers no-such-provider\): [^\n]*$/,
    );
  });

  it('checks symbolic dims for consistency across inputs', async () => {
    const g = new Graph();
    const a = g.input('a', 'F32', ['batch', 2]);
    const b = g.input('b', 'F32', ['batch', 2]);
    const compiled = await compile({ s: a.add(b) });
    await expect(compiled.run({ a: float32([2, 2]), b: float32([3, 2]) })).rejects.toThrow(
      /input b has shape \[3, 2\]/,
    );
  });
});

describe('graph errors', () => {
  it('name the op and the shapes', () => {
    const g = new Graph();
    const a = g.input('a', 'F32', [2, 3]);
    const b = g.input('b', 'F32', [4, 3]);
    expect(() => a.add(b)).toThrow('Add: shapes [2, 3] and [4, 3] do not broadcast');
    expect(() => a.matmul(b)).toThrow('MatMul: inner dimensions differ: [2, 3] × [4, 3]');
    expect(() => a.reshape([5, -1])).toThrow('Reshape [2, 3] → [5, -1]: 6 elements do not divide into 5');
    expect(() => grad(a, [a])).toThrow(/the loss must be a float scalar/);
    const bf16 = { dtype: 'BF16' as const, shape: [2], data: new Uint16Array(2) };
    expect(() => g.constant(bf16, 'w16')).toThrow(
      'graph: constant w16 has dtype BF16, expected one of F32, F64, F16, I64, I32, BOOL',
    );
    const idx = g.input('i', 'I64', [2, 2]);
    expect(() => grad(a.gather(0, idx).sum(), [a])).toThrow(
      'Gather: the gradient supports indices of rank ≤ 1, got [2, 2]',
    );
  });

  it('gives zeros for inputs the loss does not depend on', async () => {
    const g = new Graph();
    const a = g.input('a', 'F32', [2]);
    const unused = g.input('u', 'F32', [3]);
    const [, du] = grad(a.mul(a).sum(), [a, unused]);
    const out = await (await compile({ du })).run({});
    expect(Array.from(out.du.data as Float32Array)).toEqual([0, 0, 0]);
  });
});
