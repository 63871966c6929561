import { describe, expect, it } from 'vitest';
import { emitModel, Graph } from '../../src/graph/index.js';
import { compile } from '../../src/runtime/index.js';
import { float32 } from '../../src/tensor/tensor.js';

/** y = x·W + b: W (64×32, 8 KiB) is large, b (32 floats) is below the 1 KiB threshold. */
function linearGraph() {
  const g = new Graph();
  const x = g.input('x', 'F32', ['batch', 64]);
  const wData = Array.from({ length: 64 * 32 }, (_, i) => Math.cos(i) / 8);
  const w = g.constant(float32([64, 32], wData), 'w');
  const b = g.constant(
    float32(
      [32],
      Array.from({ length: 32 }, (_, i) => i / 32),
    ),
    'b',
  );
  return { x, y: x.matmul(w).add(b), wData };
}

describe("externalData 'inputs'", () => {
  it('emits large constants as graph inputs, small ones as initializers', () => {
    const { y } = linearGraph();
    const model = emitModel({ y }, { externalData: 'inputs' });
    expect(model.boundConstants.map((v) => v.name)).toEqual(['w']);
    expect(model.inputs.map((v) => v.name)).toEqual(['x', 'w']);
    expect(model.external).toEqual([]);
  });

  it('binds them at compile: runs take only the real inputs and give the inline numbers (arena on or off)', async () => {
    const { y, wData } = linearGraph();
    const xData = Array.from({ length: 2 * 64 }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
    const feeds = { x: float32([2, 64], xData) };
    const bound = (await (await compile({ y }, { externalData: 'inputs' })).run(feeds)).y;
    const inline = (await (await compile({ y }, { externalData: 'never' })).run(feeds)).y;
    const withoutArena = await compile({ y }, { externalData: 'inputs', arena: false });
    expect(withoutArena).not.toBe(await compile({ y }, { externalData: 'inputs' }));
    const noArena = (await withoutArena.run(feeds)).y;
    expect(Array.from(noArena.data as Float32Array)).toEqual(Array.from(bound.data as Float32Array));
    expect(bound.shape).toEqual([2, 32]);
    expect(Array.from(bound.data as Float32Array)).toEqual(Array.from(inline.data as Float32Array));
    let y01 = 1 / 32; // row 0, column 1, by hand
    for (let k = 0; k < 64; k++) y01 += xData[k] * wData[k * 32 + 1];
    expect((bound.data as Float32Array)[1]).toBeCloseTo(y01, 5);
  });
});
