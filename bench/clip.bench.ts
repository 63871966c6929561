/**
 * CLIP vision forward: images/s, achieved GFLOP/s, fraction of the measured matmul peak (bench/peak.ts) and
 * peak RSS of wemoe (ONNX Runtime) against a PyTorch CPU peer on the SAME random weights and pixels, at
 * equal threads: bench/torch/clip_forward_fast.py (written for speed). Its pooler_output is checked
 * against wemoe's (max abs diff).
 * ViT-B/32 shape at batch 16 and ViT-L/14 shape at batch 4, 224×224.
 *
 * Each side runs in its own process (so peak RSS is its own), alternating, several rounds; the best
 * round of each side is reported (the machine is shared, the best round is the least disturbed one).
 * Env: WEMOE_BENCH_THREADS (default 2), WEMOE_BENCH_ROUNDS (default 2 for B/32, 1 for L/14), WEMOE_BENCH_CASES (e.g. "vit_b_32"),
 * WEMOE_BENCH_WEIGHTS ("inputs" | "initializers" | "inputs,initializers"), WEMOE_TORCH_PYTHON.
 * Worker mode (internal): clip.bench.ts --worker DIR THREADS REPEATS WEIGHTS
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSafetensors } from '../src/io/safetensors-reader.js';
import { saveSafetensors } from '../src/io/safetensors-writer.js';
import { saveClipVision } from '../src/models/clip-vision/checkpoint.js';
import {
  CLIP_VIT_B_32,
  CLIP_VIT_L_14,
  type ClipVisionConfig,
  clipForwardFlops,
} from '../src/models/clip-vision/config.js';
import { normalSampler, randomClipParams } from '../src/models/clip-vision/params.js';
import { ClipVisionRunner } from '../src/models/clip-vision/runner.js';
import { missingSystemDependency, systemCommand } from '../src/util/system-deps.js';
import { type MatmulPeak, measureMatmulPeak } from './peak.js';
import { peakRssMiB, writeResult } from './util.js';

interface Case {
  readonly name: string;
  readonly config: ClipVisionConfig;
  readonly batch: number;
  readonly repeats: number;
  /** Alternating rounds of (wemoe, torch); the best of each side is reported. */
  readonly rounds: number;
}

interface SideResult {
  readonly images_per_s: number;
  readonly ms_per_batch: number;
  /** CPU time (all threads) per batch: less sensitive than wall time to other processes on the machine. */
  readonly cpu_ms_per_batch: number;
  readonly peak_rss_mib: number;
}

const CASES: Case[] = [
  { name: 'vit_b_32', config: CLIP_VIT_B_32, batch: 16, repeats: 5, rounds: 2 },
  { name: 'vit_l_14', config: CLIP_VIT_L_14, batch: 4, repeats: 2, rounds: 1 },
];
const self = fileURLToPath(import.meta.url);

/** Worker: loads the folder, times the forward, writes pooler_output raw f32, prints one JSON line. */
async function worker(dir: string, threads: number, repeats: number, weights: 'inputs' | 'initializers') {
  const runner = ClipVisionRunner.load(join(dir, 'model'), { threads, weights });
  const source = openSafetensors(join(dir, 'x.safetensors'));
  const pixels = source.read('pixel_values');
  source.close();
  let pooler = (await runner.forward(pixels)).pooler_output.data as Float32Array; // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    pooler = (await runner.forward(pixels)).pooler_output.data as Float32Array;
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  writeFileSync(join(dir, `pooler-${weights}.f32`), pooler);
  const ms = median(wall);
  const result: SideResult = {
    images_per_s: (pixels.shape[0] / ms) * 1000,
    ms_per_batch: ms,
    cpu_ms_per_batch: median(cpu),
    peak_rss_mib: peakRssMiB(),
  };
  console.log(JSON.stringify(result));
}

/** Runs a command, returns its last stdout line parsed as JSON, or throws with its stderr. */
function runJson(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): SideResult {
  const run = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function prepare(c: Case, dir: string): void {
  saveClipVision(join(dir, 'model'), c.config, randomClipParams(c.config, 1234));
  const { numChannels: ch, imageSize: s } = c.config;
  const normal = normalSampler(99);
  const data = Float32Array.from({ length: c.batch * ch * s * s }, normal);
  saveSafetensors(join(dir, 'x.safetensors'), {
    pixel_values: { dtype: 'F32', shape: [c.batch, ch, s, s], data },
  });
}

function readF32(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function best(results: SideResult[]): SideResult {
  return results.reduce((a, b) => (b.ms_per_batch < a.ms_per_batch ? b : a));
}

/** The PyTorch peer, written for speed (the plain one measured beside it until 2026-12-07: docs/experiments.md). */
const PEERS = { torch_fast: join(self, '..', 'torch', 'clip_forward_fast.py') } as const;
type Peer = keyof typeof PEERS;

async function benchCase(
  c: Case,
  threads: number,
  modes: string[],
  python: string | undefined,
  peak: MatmulPeak,
) {
  const rounds = Number(process.env.WEMOE_BENCH_ROUNDS ?? c.rounds);
  const dir = mkdtempSync(join(tmpdir(), `wemoe-bench-${c.name}-`));
  try {
    prepare(c, dir);
    const ours = new Map<string, SideResult[]>(modes.map((m) => [m, []]));
    const peers = new Map<Peer, SideResult[]>(
      python ? (Object.keys(PEERS) as Peer[]).map((p) => [p, []]) : [],
    );
    const peerArgs = (peer: Peer) => [
      PEERS[peer],
      ...['--model', join(dir, 'model'), '--input', join(dir, 'x.safetensors')],
      ...['--threads', String(threads), '--repeats', String(c.repeats)],
      ...['--pooler-out', join(dir, `pooler-${peer}.f32`)],
    ];
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) {
        const args = ['--import', 'tsx', self, '--worker', dir, String(threads), String(c.repeats), mode];
        ours.get(mode)!.push(runJson(process.execPath, args));
      }
      for (const [peer, runs] of peers)
        runs.push(runJson(python!, peerArgs(peer), { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }));
    }
    const flops = clipForwardFlops(c.config);
    const withRates = (r: SideResult) => {
      const gflops = (r.images_per_s * flops) / 1e9;
      return { ...r, gflop_per_s: gflops, fraction_of_peak: gflops / peak.peak_gflop_per_s };
    };
    const result: Record<string, unknown> = { batch: c.batch, gflop_per_image: flops / 1e9, threads };
    for (const [mode, runs] of ours) result[`wemoe_${mode}`] = withRates(best(runs));
    for (const [peer, runs] of peers) result[peer] = withRates(best(runs));
    for (const [mode, runs] of ours) {
      const mine = best(runs);
      const pooler = readF32(join(dir, `pooler-${mode}.f32`));
      for (const [peer, peerRuns] of peers) {
        const theirs = best(peerRuns);
        result[`ratio_${mode}_vs_${peer}`] = mine.images_per_s / theirs.images_per_s;
        result[`rss_${mode}_vs_${peer}`] = mine.peak_rss_mib / theirs.peak_rss_mib;
        result[`pooler_max_abs_diff_${mode}_vs_${peer}`] = maxAbsDiff(
          pooler,
          readF32(join(dir, `pooler-${peer}.f32`)),
        );
      }
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const threads = Number(process.env.WEMOE_BENCH_THREADS ?? 2);
  const wanted = process.env.WEMOE_BENCH_CASES?.split(',');
  const modes = (process.env.WEMOE_BENCH_WEIGHTS ?? 'inputs').split(',');
  // The Python with torch: WEMOE_TORCH_PYTHON, Debian's /usr/bin/python3, or python3 on PATH.
  const python = systemCommand('pytorch');
  if (!python) console.log(`clip bench: timing wemoe alone; ${missingSystemDependency('pytorch')}`);
  const peak = await measureMatmulPeak(threads, python);
  console.log('matmul peak', JSON.stringify(peak));
  const results: Record<string, unknown> = { load_average_before: loadavg(), matmul_peak: peak };
  for (const c of CASES.filter((k) => !wanted || wanted.includes(k.name))) {
    results[c.name] = await benchCase(c, threads, modes, python, peak);
    console.log(c.name, JSON.stringify(results[c.name]));
  }
  results.load_average_after = loadavg();
  writeResult('clip', results);
}

if (process.argv[2] === '--worker') {
  const [dir, threads, repeats, weights] = process.argv.slice(3);
  await worker(dir, Number(threads), Number(repeats), weights as 'inputs' | 'initializers');
} else {
  await main();
}
