/**
 * The engine against raw ONNX Runtime: GEMM GFLOP/s (engine vs a hand-built single-op session, weights as
 * initializers and as inputs), per-run overhead of a tiny graph, forward+backward of a 12-layer MLP stack.
 */
import { availableParallelism, loadavg } from 'node:os';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { Graph, grad, quickGelu, type Value } from '../src/graph/index.js';
import { compile } from '../src/runtime/index.js';
import { float32, type Tensor } from '../src/tensor/tensor.js';
import { peakRssMiB, timeMs, writeResult } from './util.js';

const { onnx } = onnxProto;
const threads = availableParallelism();
const sessionOptions: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: threads,
  graphOptimizationLevel: 'all',
};

function randomF32(n: number, scale = 0.02): Float32Array {
  const a = new Float32Array(n);
  let s = 1;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = (s / 2147483648 - 0.5) * scale;
  }
  return a;
}

/** A MatMul model written by hand (no engine code): B an initializer, or a second input. */
function rawMatMulModel(k: number, n: number, w: Float32Array | undefined): Uint8Array {
  const info = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const initializer = w ? [{ name: 'w', dims: [k, n], dataType: 1, rawData: new Uint8Array(w.buffer) }] : [];
  const graph = {
    name: 'raw',
    node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['y'] }],
    initializer,
    input: w ? [info('x', ['m', k])] : [info('x', ['m', k]), info('w', [k, n])],
    output: [info('y', ['m', n])],
  };
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ version: 18 }], graph }).finish();
}

/**
 * Median ms of each variant, measured round-robin (one run of each per round) so that load changes on a
 * shared machine hit all variants alike.
 */
async function interleaved<K extends string>(
  variants: Record<K, () => Promise<unknown>>,
  rounds: number,
): Promise<Record<K, number>> {
  const names = Object.keys(variants) as K[];
  const times = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (const n of names) await variants[n]();
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const start = performance.now();
      await variants[n]();
      times[n].push(performance.now() - start);
    }
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return Object.fromEntries(names.map((n) => [n, Math.round(median(times[n]) * 100) / 100])) as Record<
    K,
    number
  >;
}

async function gemm(m: number, k: number, n: number) {
  const flops = 2 * m * k * n;
  const x = randomF32(m * k, 1);
  const w = randomF32(k * n);
  const gflops = (ms: number) => Math.round(flops / ms / 1e5) / 10;
  const xOrt = new ort.Tensor('float32', x, [m, k]);
  const wOrt = new ort.Tensor('float32', w, [k, n]);
  const rawInit = await ort.InferenceSession.create(rawMatMulModel(k, n, w), sessionOptions);
  const rawInput = await ort.InferenceSession.create(rawMatMulModel(k, n, undefined), sessionOptions);
  const g = new Graph();
  const xv = g.input('x', 'F32', ['m', k]);
  const engineInit = await compile({ y: xv.matmul(g.constant(float32([k, n], w), 'w')) });
  const engineInput = await compile({ y: xv.matmul(g.input('w_fed', 'F32', [k, n])) });
  const xT: Tensor = { dtype: 'F32', shape: [m, k], data: x };
  const wT: Tensor = { dtype: 'F32', shape: [k, n], data: w };
  const ms = await interleaved(
    {
      raw_initializer: () => rawInit.run({ x: xOrt }),
      engine_initializer: () => engineInit.run({ x: xT }),
      raw_input: () => rawInput.run({ x: xOrt, w: wOrt }),
      engine_input: () => engineInput.run({ x: xT, w_fed: wT }),
    },
    15,
  );
  const gflopsBy = Object.fromEntries(Object.entries(ms).map(([key, t]) => [key, gflops(t)]));
  const overhead = (a: number, b: number) => Math.round((a / b - 1) * 1000) / 10;
  return {
    shape: `${m}x${k}x${n}`,
    ms,
    gflops: gflopsBy,
    engine_overhead_pct: {
      initializer: overhead(ms.engine_initializer, ms.raw_initializer),
      input: overhead(ms.engine_input, ms.raw_input),
    },
  };
}

async function tinyGraphOverhead() {
  const g = new Graph();
  const x = g.input('x', 'F32', [1, 4]);
  const engine = await compile({ y: x.add(1) });
  const raw = await ort.InferenceSession.create(await rawAddModel(), sessionOptions);
  const xT = float32([1, 4], [1, 2, 3, 4]);
  const xOrt = new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [1, 4]);
  const thousand = (fn: () => Promise<unknown>) => async () => {
    for (let i = 0; i < 1000; i++) await fn();
  };
  const ms = await interleaved(
    { engine: thousand(() => engine.run({ x: xT })), raw: thousand(() => raw.run({ x: xOrt })) },
    7,
  );
  const [engineMs, rawMs] = [ms.engine / 1000, ms.raw / 1000];
  return { engine_us: Math.round(engineMs * 1e4) / 10, raw_ort_us: Math.round(rawMs * 1e4) / 10 };
}

async function rawAddModel(): Promise<Uint8Array> {
  const info = (name: string) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } },
  });
  const one = { name: 'one', dims: [], dataType: 1, rawData: new Uint8Array(Float32Array.of(1).buffer) };
  const graph = {
    name: 'add',
    node: [{ opType: 'Add', input: ['x', 'one'], output: ['y'] }],
    initializer: [one],
    input: [info('x')],
    output: [info('y')],
  };
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ version: 18 }], graph }).finish();
}

/** 12 × (linear D→D + quick_gelu) on [B, D]; loss = mean(y²); gradients w.r.t. all 24 parameters (fed). */
async function mlpStack(batch: number, width: number, layers: number) {
  const g = new Graph();
  const x = g.input('x', 'F32', ['batch', width]);
  const params: Value[] = [];
  let h = x;
  for (let l = 0; l < layers; l++) {
    const w = g.input(`w${l}`, 'F32', [width, width]);
    const b = g.input(`b${l}`, 'F32', [width]);
    params.push(w, b);
    h = quickGelu(h.matmul(w).add(b));
  }
  const loss = h.mul(h).mean();
  const grads = grad(loss, params);
  const forward = await compile({ loss });
  const step = await compile({ loss, ...Object.fromEntries(grads.map((gv, i) => [`d${i}`, gv])) });
  const feeds: Record<string, Tensor> = { x: float32([batch, width], randomF32(batch * width, 1)) };
  for (const p of params)
    feeds[p.name] = {
      dtype: 'F32',
      shape: [...p.shape] as number[],
      data: randomF32(
        p.shape.reduce<number>((a, d) => a * (d as number), 1),
        0.05,
      ),
    };
  const forwardMs = await timeMs(() => forward.run(feeds), 5, 1);
  const stepMs = await timeMs(() => step.run(feeds), 5, 1);
  const flopsForward = 2 * batch * width * width * layers;
  return {
    batch,
    width,
    layers,
    forward_ms: Math.round(forwardMs * 10) / 10,
    forward_backward_ms: Math.round(stepMs * 10) / 10,
    forward_backward_gflops: Math.round((3 * flopsForward) / stepMs / 1e5) / 10,
  };
}

const loadBefore = loadavg()[0];
const result = {
  threads,
  load_average_1m_before: Math.round(loadBefore * 100) / 100,
  gemm: [await gemm(512, 768, 3072), await gemm(1600, 768, 3072)],
  tiny_graph_per_run: await tinyGraphOverhead(),
  mlp_stack: await mlpStack(256, 768, 12),
  load_average_1m_after: Math.round(loadavg()[0] * 100) / 100,
  peak_rss_mib: Math.round(peakRssMiB()),
};
writeResult('engine', result);
