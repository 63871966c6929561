/**
 * One WEMoE test-time adaptation step (depth-2 routers, 8 experts, entropy loss over 8 tasks, Adam) at
 * ViT-B/32 width: seconds per step, FLOPs, GFLOP/s, fraction of the measured matmul peak (bench/peak.ts)
 * and peak RSS of wemoe against a PyTorch CPU peer at equal threads, each side in its own process:
 * bench/torch/wemoe_tta_fast.py (written for speed; runs the model and pixels wemoe's worker saved and
 * checks the first step's per-task losses against wemoe's; the plain peer measured beside it until
 * 2026-12-07 is in docs/experiments.md). Cases: 4 layers with batch 4 per task, and the full 12-layer
 * encoder with batch 16 per task (WEMOE_BENCH_TTA_CASES=b32_4l to run only the first). Env:
 * WEMOE_BENCH_THREADS (default 2), WEMOE_BENCH_TTA_STEPS (timed steps, after one warm-up step),
 * WEMOE_TORCH_PYTHON (default /usr/bin/python3, then python3 on PATH).
 * Worker mode (internal): tta.bench.ts --worker CASE THREADS STEPS DIR
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adaptWemoe } from '../src/adapt/wemoe.js';
import { createRandom, type Random } from '../src/data/random.js';
import { saveSafetensors } from '../src/io/safetensors-writer.js';
import {
  CLIP_VIT_B_32,
  type ClipVisionConfig,
  clipVisionConfig,
  numPatches,
} from '../src/models/clip-vision/config.js';
import { randomClipParams } from '../src/models/clip-vision/params.js';
import type { Heads } from '../src/models/heads.js';
import { saveWemoe } from '../src/models/wemoe/checkpoint.js';
import { initRouters, upscaleToWemoe, type WemoeModel } from '../src/models/wemoe/model.js';
import { float32, type Tensor } from '../src/tensor/tensor.js';
import { missingSystemDependency, systemCommand } from '../src/util/system-deps.js';
import { type MatmulPeak, measureMatmulPeak } from './peak.js';
import { peakRssMiB, writeResult } from './util.js';

interface Case {
  readonly name: string;
  readonly layers: number;
  readonly batch: number;
  readonly steps: number;
}
const CASES: Case[] = [
  { name: 'b32_4l', layers: 4, batch: 4, steps: 3 },
  { name: 'b32_full', layers: 12, batch: 16, steps: 1 },
];
const EXPERTS = 8;
const self = fileURLToPath(import.meta.url);

/**
 * Random weights at the shapes of a real run: a pre-trained encoder and small random task vectors. The
 * pre-trained parameters go out of scope here, so that the worker holds only the model.
 */
function randomWemoe(config: ClipVisionConfig, tasks: readonly string[], random: Random): WemoeModel {
  const pretrained = randomClipParams(config, 0);
  // Upscale with one stand-in expert, then give every layer 8 random task vectors: the model WEMoE
  // would build from 8 experts, without holding 8 expert copies in memory first.
  const one = upscaleToWemoe(config, pretrained, new Map([['stand-in', pretrained]]), { routerDepth: 2 });
  const wemoe = { ...one.wemoe, experts: [...tasks] };
  const moes = one.moes.map((moe) => {
    const taskVectors = new Map<string, Tensor>();
    for (const [part, base] of moe.base) {
      const data = Float32Array.from(
        { length: tasks.length * base.data.length },
        () => 0.004 * (random.uniform() - 0.5),
      );
      taskVectors.set(part, { dtype: 'F32', shape: [tasks.length, ...base.shape], data });
    }
    return { ...moe, taskVectors };
  });
  return { clip: config, wemoe, shared: one.shared, moes, routers: initRouters(config, wemoe, 2) };
}

/**
 * FLOPs of one step (every task: forward and backward of `batch` images), counting multiply-adds as 2.
 * Backward: input gradients of every matmul (the frozen weights need none), the per-sample MLP weights'
 * gradients (they carry the routers' gradient), the routers' weight gradients and ∂L/∂w = <∂L/∂θ_b, τ>.
 */
export function wemoeStepFlops(config: ClipVisionConfig, batch: number, experts: number) {
  const { hiddenSize: d, intermediateSize: i } = config;
  const n = numPatches(config) + 1;
  const mergedParams = 2 * d * i + d + i;
  const attention = 8 * n * d * d + 4 * n * n * d;
  const mlp = 4 * n * d * i;
  const router = 2 * n * d * d + 2 * n * d * experts;
  const merge = 2 * experts * mergedParams;
  const forwardBlock = attention + mlp + router + merge;
  const backwardBlock = 8 * n * d * d + 8 * n * n * d + 2 * mlp + 2 * router + merge;
  const patch = 2 * (n - 1) * d * config.numChannels * config.patchSize ** 2;
  const perImage = patch + config.numHiddenLayers * (forwardBlock + backwardBlock);
  return {
    forward: experts * batch * (patch + config.numHiddenLayers * forwardBlock),
    step: experts * batch * perImage,
  };
}

async function worker(c: Case, threads: number, steps: number, dir: string): Promise<void> {
  const config = clipVisionConfig({ ...CLIP_VIT_B_32, numHiddenLayers: c.layers });
  const random = createRandom(1);
  const tasks = Array.from({ length: EXPERTS }, (_, t) => `task${t}`);
  const model = randomWemoe(config, tasks, random);
  const heads: Heads = {
    kind: 'linear',
    tasks: new Map(
      tasks.map((t) => [
        t,
        {
          weight: float32(
            [10, 768],
            Array.from({ length: 7680 }, () => 0.1 * (random.uniform() - 0.5)),
          ),
          classes: [...'abcdefghij'],
        },
      ]),
    ),
  };
  const pixels = float32(
    [c.batch, 3, 224, 224],
    Array.from({ length: c.batch * 3 * 224 * 224 }, () => random.uniform() - 0.5),
  );
  // The fast peer runs this very model on these pixels (and checks the first step's losses).
  saveWemoe(join(dir, 'model'), model);
  const headTensors = Object.fromEntries(tasks.map((t) => [`head.${t}.weight`, heads.tasks.get(t)!.weight]));
  saveSafetensors(join(dir, 'inputs.safetensors'), { pixel_values: pixels, ...headTensors });
  const marks: Mark[] = [mark()]; // model built
  // The first task's batch is drawn at the start of every step (after compiling, before step 0).
  const ttaTasks = tasks.map((name, t) => ({
    name,
    count: c.batch,
    pixels: () => {
      if (t === 0) marks.push(mark());
      return pixels;
    },
  }));
  const options = {
    lr: 1e-4,
    schedule: 'constant' as const,
    batchSize: c.batch,
    seed: 0,
    progress: 'none' as const,
    log: () => {},
  };
  // One adaptation of 1 + steps steps: the first is the warm-up, the later ones are timed.
  const tta = await adaptWemoe(model, heads, ttaTasks, { ...options, steps: 1 + steps }, { threads });
  marks.push(mark());
  const [built, compiled, firstStepEnd] = marks;
  const end = marks[marks.length - 1];
  console.log(
    JSON.stringify({
      s_per_step: (end.wall - firstStepEnd.wall) / steps,
      cpu_s_per_step: (end.cpu - firstStepEnd.cpu) / steps,
      step0_per_task: tasks.map((t) => tta.lossCurve[0].per_task[t]),
      peak_rss_mib: peakRssMiB(),
      rss_mib: { built: built.peakRss, compiled: compiled.peakRss, first_step: firstStepEnd.peakRss },
      compile_s: compiled.wall - built.wall,
      threads,
    }),
  );
}

/** Wall and CPU seconds (user + system) and peak RSS so far. */
interface Mark {
  readonly wall: number;
  readonly cpu: number;
  readonly peakRss: number;
}
function mark(): Mark {
  const { user, system } = process.cpuUsage();
  return { wall: performance.now() / 1000, cpu: (user + system) / 1e6, peakRss: Math.round(peakRssMiB()) };
}

type SideResult = { s_per_step: number; peak_rss_mib: number; step0_per_task?: number[] } & Record<
  string,
  unknown
>;

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): SideResult | { error: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{'))
    return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').slice(-3).join(' ') };
  return JSON.parse(line);
}

const torchDir = join(self, '..', 'torch');

async function benchCase(c: Case, threads: number, python: string | undefined, peak: MatmulPeak) {
  const steps = Number(process.env.WEMOE_BENCH_TTA_STEPS ?? c.steps);
  const dir = mkdtempSync(join(tmpdir(), `wemoe-bench-tta-${c.name}-`));
  try {
    const sides: Record<string, SideResult | { error: string }> = {};
    const load: Record<string, number> = {};
    const worker = ['--import', 'tsx', self, '--worker', c.name, String(threads), String(steps), dir];
    sides.wemoe = run(process.execPath, worker);
    load.wemoe = loadavg()[0];
    const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) };
    if (python) {
      const fast = [join(torchDir, 'wemoe_tta_fast.py'), '--model', join(dir, 'model')];
      fast.push(
        '--inputs',
        join(dir, 'inputs.safetensors'),
        '--threads',
        String(threads),
        '--steps',
        String(steps),
      );
      sides.torch_fast = run(python, fast, env);
      load.torch_fast = loadavg()[0];
    }
    const config = clipVisionConfig({ ...CLIP_VIT_B_32, numHiddenLayers: c.layers });
    const flops = wemoeStepFlops(config, c.batch, EXPERTS);
    const result: Record<string, unknown> = {
      gflop_per_step: flops.step / 1e9,
      gflop_forward_per_step: flops.forward / 1e9,
      steps_timed: steps,
    };
    for (const [name, side] of Object.entries(sides)) {
      if ('error' in side) {
        result[name] = side;
        continue;
      }
      const gflops = flops.step / side.s_per_step / 1e9;
      result[name] = { ...side, gflop_per_s: gflops, fraction_of_peak: gflops / peak.peak_gflop_per_s };
    }
    const ours = sides.wemoe;
    const theirs = sides.torch_fast;
    if (theirs && !('error' in theirs) && !('error' in ours)) {
      result.speedup_vs_torch_fast = theirs.s_per_step / ours.s_per_step;
      if (theirs.step0_per_task && ours.step0_per_task)
        result.step0_loss_max_abs_diff_vs_torch_fast = Math.max(
          ...ours.step0_per_task.map((l, t) => Math.abs(l - theirs.step0_per_task![t])),
        );
    }
    result.load_after_side = load;
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const threads = Number(process.env.WEMOE_BENCH_THREADS ?? 2);
  const python = systemCommand('pytorch');
  const wanted = process.env.WEMOE_BENCH_TTA_CASES?.split(',');
  if (!python) console.log(`the PyTorch peers are skipped: ${missingSystemDependency('pytorch')}`);
  const peak = await measureMatmulPeak(threads, python);
  console.log('matmul peak', JSON.stringify(peak));
  const results: Record<string, unknown> = { threads, load_before: loadavg()[0], matmul_peak: peak };
  for (const c of CASES.filter((x) => !wanted || wanted.includes(x.name))) {
    console.log(
      `${c.name}: ${c.layers} layers, ${EXPERTS} experts, batch ${c.batch} per task, depth-2 routers`,
    );
    results[c.name] = await benchCase(c, threads, python, peak);
    console.log(JSON.stringify(results[c.name])); // each case as soon as it is done (the full case takes long)
  }
  results.load_after = loadavg()[0];
  writeResult('tta', results);
}

if (process.argv[2] === '--worker') {
  const c = CASES.find((x) => x.name === process.argv[3]);
  if (!c) throw new Error(`unknown case ${process.argv[3]}`);
  const [threads, steps, dir] = process.argv.slice(4);
  await worker(c, Number(threads), Number(steps), dir);
} else {
  await main();
}
