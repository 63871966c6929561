/**
 * The machine's measured fp32 matmul peak, the denominator of every benchmark's "fraction of peak": the
 * best of ONNX Runtime's GEMM (through the engine) and PyTorch's (bench/torch/gemm_peak.py) at
 * 1600×768×3072 — a ViT-B/32 MLP GEMM at batch 32 — on the benchmarks' thread count.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Graph } from '../src/graph/index.js';
import { compile } from '../src/runtime/index.js';
import { float32 } from '../src/tensor/tensor.js';

const [M, K, N] = [1600, 768, 3072];
const GEMM_FLOPS = 2 * M * K * N;

export interface MatmulPeak {
  readonly ort_gflop_per_s: number;
  readonly torch_gflop_per_s?: number;
  /** The larger of the two. */
  readonly peak_gflop_per_s: number;
  readonly shape: string;
}

function filled(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
}

async function ortGemmGflops(threads: number, repeats: number): Promise<number> {
  const g = new Graph();
  const y = g.input('x', 'F32', [M, K]).matmul(g.constant(float32([K, N], filled(K * N)), 'w'));
  const compiled = await compile({ y }, { threads });
  const feeds = { x: float32([M, K], filled(M * K)) };
  let best = Number.POSITIVE_INFINITY;
  try {
    for (let i = 0; i <= repeats; i++) {
      const start = performance.now();
      await compiled.run(feeds);
      if (i > 0) best = Math.min(best, performance.now() - start);
    }
  } finally {
    await compiled.dispose();
  }
  return GEMM_FLOPS / (best / 1000) / 1e9;
}

function torchGemmGflops(python: string, threads: number, repeats: number): number | undefined {
  const script = join(fileURLToPath(import.meta.url), '..', 'torch', 'gemm_peak.py');
  const run = spawnSync(python, [script, '--threads', String(threads), '--repeats', String(repeats)], {
    encoding: 'utf8',
  });
  const line = run.stdout?.trim().split('\n').pop();
  return run.status === 0 && line ? (JSON.parse(line).gflop_per_s as number) : undefined;
}

/** Best-of-`repeats` GEMM rates of both engines (PyTorch's only when `python` is given). */
export async function measureMatmulPeak(
  threads: number,
  python: string | undefined,
  repeats = 10,
): Promise<MatmulPeak> {
  const ort = await ortGemmGflops(threads, repeats);
  const torch = python ? torchGemmGflops(python, threads, repeats) : undefined;
  return {
    ort_gflop_per_s: ort,
    ...(torch === undefined ? {} : { torch_gflop_per_s: torch }),
    peak_gflop_per_s: Math.max(ort, torch ?? 0),
    shape: `${M}x${K}x${N}`,
  };
}
