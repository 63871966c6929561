/**
 * One WEMoE test-time adaptation step (depth-2 routers, 8 experts, entropy loss over 8 tasks, Adam) at
 * ViT-B/32 width: seconds per step and peak RSS of wemoe against a PyTorch CPU peer
 * (bench/torch/wemoe_tta.py, same shapes, random weights) at equal threads, each side in its own process.
 * Cases: 4 layers with batch 4 per task, and the full 12-layer encoder with batch 16 per task
 * (WEMOE_BENCH_TTA_CASES=b32_4l to run only the first). Env: WEMOE_BENCH_THREADS (default 2),
 * WEMOE_TORCH_PYTHON (default /usr/bin/python3, then python3 on PATH).
 * Worker mode (internal): tta.bench.ts --worker CASE THREADS
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adaptWemoe } from '../src/adapt/wemoe.js';
import { createRandom, type Random } from '../src/data/random.js';
import { CLIP_VIT_B_32, type ClipVisionConfig, clipVisionConfig } from '../src/models/clip-vision/config.js';
import { randomClipParams } from '../src/models/clip-vision/params.js';
import type { Heads } from '../src/models/heads.js';
import { initRouters, upscaleToWemoe, type WemoeModel } from '../src/models/wemoe/model.js';
import { float32, type Tensor } from '../src/tensor/tensor.js';
import { missingSystemDependency, systemCommand } from '../src/util/system-deps.js';
import { peakRssMiB, writeResult } from './util.js';

interface Case {
  readonly name: string;
  readonly layers: number;
  readonly batch: number;
  readonly steps: number;
}
const CASES: Case[] = [
  { name: 'b32_4l', layers: 4, batch: 4, steps: 3 },
  { name: 'b32_full', layers: 12, batch: 16, steps: 2 },
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

async function worker(c: Case, threads: number): Promise<void> {
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
  await adaptWemoe(model, heads, ttaTasks, { ...options, steps: 1 + c.steps }, { threads });
  marks.push(mark());
  const [built, compiled, firstStepEnd] = marks;
  const end = marks[marks.length - 1];
  console.log(
    JSON.stringify({
      s_per_step: (end.wall - firstStepEnd.wall) / c.steps,
      cpu_s_per_step: (end.cpu - firstStepEnd.cpu) / c.steps,
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

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Record<string, number> | { error: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{'))
    return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').slice(-3).join(' ') };
  return JSON.parse(line);
}

async function main(): Promise<void> {
  const threads = Number(process.env.WEMOE_BENCH_THREADS ?? 2);
  const python = systemCommand('pytorch');
  const wanted = process.env.WEMOE_BENCH_TTA_CASES?.split(',');
  if (!python) console.log(`the PyTorch peer is skipped: ${missingSystemDependency('pytorch')}`);
  const results: Record<string, unknown> = { threads, load_before: loadavg()[0] };
  for (const c of CASES.filter((x) => !wanted || wanted.includes(x.name))) {
    console.log(
      `${c.name}: ${c.layers} layers, ${EXPERTS} experts, batch ${c.batch} per task, depth-2 routers`,
    );
    const ours = run(process.execPath, ['--import', 'tsx', self, '--worker', c.name, String(threads)]);
    const torch = python
      ? run(
          python,
          [
            join(self, '..', 'torch', 'wemoe_tta.py'),
            '--layers',
            String(c.layers),
            '--batch',
            String(c.batch),
            '--threads',
            String(threads),
            '--steps',
            String(c.steps),
          ],
          { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) },
        )
      : undefined;
    const speedup =
      torch && 's_per_step' in torch && 's_per_step' in ours ? torch.s_per_step / ours.s_per_step : undefined;
    results[c.name] = {
      wemoe: ours,
      torch: torch ?? 'skipped',
      speedup_vs_torch: speedup,
      load: loadavg()[0],
    };
    console.log(JSON.stringify(results[c.name])); // each case as soon as it is done (the full case takes long)
  }
  results.load_after = loadavg()[0];
  writeResult('tta', results);
}

if (process.argv[2] === '--worker') {
  const c = CASES.find((x) => x.name === process.argv[3]);
  if (!c) throw new Error(`unknown case ${process.argv[3]}`);
  await worker(c, Number(process.argv[4]));
} else {
  await main();
}
