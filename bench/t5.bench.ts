/**
 * Flan-T5-base-shaped T5 (d_model 768, 12 + 12 blocks, 12 heads, d_ff 2048 gated-gelu, vocabulary 32128,
 * untied lm_head; random weights made here) against a from-scratch PyTorch T5 written for speed
 * (bench/torch/t5_fast.py) on the same weights, inputs and threads, each side in its own process:
 * - `forward`: batch 16, 128 input tokens, one decoding step (the start token) → logits [16, 1, 32128],
 *   wemoe's T5Runner.forward; the peer's logits are checked against wemoe's (max abs diff).
 * - `wemoe_step`: one WEMoE test-time adaptation step (adaptT5Wemoe): 8 tasks × 16 inputs of 128 tokens,
 *   every encoder and decoder feed-forward module a mixture of 8 task vectors with a depth-2 router, the
 *   first-step entropy objective (FusionBench's), Adam; the peer's step-0 losses and routers after the
 *   step are checked against wemoe's. The step is timed from its first task on (the graph compiled),
 *   without a warm-up step: each costs about a minute on two cores.
 * Prints and writes (bench-results/t5.json) time, FLOPs, GFLOP/s and fraction of the measured matmul peak
 * (bench/peak.ts) of both sides, peak RSS, the load average and the ratio. FLOPs are those of the plain
 * computation (bench/t5-flops.ts), which the peer does; wemoe's one-token cross-attention does fewer, so
 * its GFLOP/s in the step is an effective rate.
 * Env: WEMOE_BENCH_THREADS (default 2), WEMOE_BENCH_T5_CASES (forward,wemoe_step),
 * WEMOE_BENCH_T5_REPEATS (timed forwards after one warm-up, default 3), WEMOE_BENCH_T5_STEPS (default 1),
 * WEMOE_BENCH_T5_LAYERS (blocks per stack, default 12: fewer for a quick check), WEMOE_TORCH_PYTHON,
 * WEMOE_BENCH_PROFILE (a file prefix: the step's ONNX Runtime profile, totalled by bench/profile-summary.ts).
 * Worker modes (internal): t5.bench.ts --prepare|--worker forward|wemoe_step DIR [THREADS N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adaptT5Wemoe, tokenTask } from '../src/adapt/t5.js';
import { createRandom } from '../src/data/random.js';
import { openSafetensors } from '../src/io/safetensors-reader.js';
import { saveSafetensors } from '../src/io/safetensors-writer.js';
import { saveT5 } from '../src/models/t5/checkpoint.js';
import { parseT5Config } from '../src/models/t5/config.js';
import { LM_HEAD, randomT5Params } from '../src/models/t5/params.js';
import { T5Runner } from '../src/models/t5/runner.js';
import { type T5WemoeModel, upscaleT5ToWemoe } from '../src/models/t5/wemoe.js';
import { loadT5Wemoe, saveT5Wemoe } from '../src/models/t5/wemoe-checkpoint.js';
import { initRouterTensors } from '../src/models/wemoe/model.js';
import { gateShapes } from '../src/models/wemoe/names.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { missingSystemDependency, systemCommand } from '../src/util/system-deps.js';
import { type MatmulPeak, measureMatmulPeak } from './peak.js';
import { t5ForwardFlops, t5WemoeStepFlops } from './t5-flops.js';
import { peakRssMiB, writeResult } from './util.js';

const FLAN_T5_BASE = parseT5Config({
  model_type: 't5',
  vocab_size: 32128,
  d_model: 768,
  d_kv: 64,
  d_ff: 2048,
  // Fewer blocks for a quick check: WEMOE_BENCH_T5_LAYERS.
  num_layers: Number(process.env.WEMOE_BENCH_T5_LAYERS ?? 12),
  num_decoder_layers: Number(process.env.WEMOE_BENCH_T5_LAYERS ?? 12),
  num_heads: 12,
  feed_forward_proj: 'gated-gelu',
  tie_word_embeddings: false,
});
const BATCH = 16;
const SRC = 128;
const TASKS = 8;
const self = fileURLToPath(import.meta.url);

/** Random prompts [B, S]: ids in [2, V) (neither pad nor `</s>`), each ending with `</s>` as the tokenizer's. */
function randomIds(seed: number): number[][] {
  const random = createRandom(seed);
  const v = FLAN_T5_BASE.vocabSize;
  return Array.from({ length: BATCH }, () => [
    ...Array.from({ length: SRC - 1 }, () => 2 + Math.floor(random.uniform() * (v - 2))),
    FLAN_T5_BASE.eosTokenId,
  ]);
}

function i64(rows: number[][]): Tensor {
  return {
    dtype: 'I64',
    shape: [rows.length, rows[0].length],
    data: BigInt64Array.from(rows.flat().map(BigInt)),
  };
}

function prepareForward(dir: string): void {
  saveT5(join(dir, 'model'), { config: FLAN_T5_BASE, params: randomT5Params(FLAN_T5_BASE, 1234) });
  const ids = i64(randomIds(99));
  const mask: Tensor = { ...ids, data: new BigInt64Array(ids.data.length).fill(1n) };
  saveSafetensors(join(dir, 'inputs.safetensors'), { input_ids: ids, attention_mask: mask });
}

/**
 * A WEMoE model at the shapes of a real run: random pre-trained weights, 8 small random task vectors per
 * feed-forward part, the paper's router init. Upscaled with one stand-in expert, then given 8 task vectors,
 * so that 8 expert copies of the model are never held.
 */
function randomT5Wemoe(): T5WemoeModel {
  const pretrained = randomT5Params(FLAN_T5_BASE, 0);
  // lm_head at N(0, 1/D) rather than N(0, 1): logits of unit scale, so that the first-step entropy is not
  // ~1e-7 (a one-hot softmax) and its gradients, which the two sides' router updates compare, are not noise.
  const lmHead = pretrained.get(LM_HEAD)!.data as Float32Array;
  for (let i = 0; i < lmHead.length; i++) lmHead[i] *= FLAN_T5_BASE.dModel ** -0.5;
  const one = upscaleT5ToWemoe(FLAN_T5_BASE, pretrained, new Map([['stand-in', pretrained]]));
  const experts = Array.from({ length: TASKS }, (_, t) => `task${t}`);
  const random = createRandom(1);
  const moes = new Map(
    [...one.moes].map(([prefix, moe]) => {
      const taskVectors = new Map<string, Tensor>();
      for (const [part, base] of moe.base) {
        const data = new Float32Array(TASKS * base.data.length);
        for (let k = 0; k < data.length; k++) data[k] = 0.004 * (random.uniform() - 0.5);
        taskVectors.set(part, { dtype: 'F32', shape: [TASKS, ...base.shape], data });
      }
      return [prefix, { ...moe, taskVectors }];
    }),
  );
  const gates = new Map([...moes.keys()].flatMap((p) => [...gateShapes(p, 2, FLAN_T5_BASE.dModel, TASKS)]));
  return { ...one, experts, moes, routers: initRouterTensors(gates, one.initLambda, 0) };
}

function prepareStep(dir: string): void {
  saveT5Wemoe(join(dir, 'model'), randomT5Wemoe());
  const inputs: Record<string, Tensor> = {};
  for (let t = 0; t < TASKS; t++) inputs[`input_ids.${t}`] = i64(randomIds(100 + t));
  saveSafetensors(join(dir, 'inputs.safetensors'), inputs);
}

function readInputs(dir: string): Map<string, Tensor> {
  const file = openSafetensors(join(dir, 'inputs.safetensors'));
  try {
    return new Map(file.names().map((n) => [n, file.read(n)]));
  } finally {
    file.close();
  }
}

async function workerForward(dir: string, threads: number, repeats: number): Promise<void> {
  const runner = T5Runner.load(join(dir, 'model'), { threads });
  const inputs = readInputs(dir);
  const run = () => runner.forward(inputs.get('input_ids')!, inputs.get('attention_mask')!);
  let logits = (await run()).logits; // warm-up (compiles the session)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    logits = (await run()).logits;
    wall.push((performance.now() - start) / 1000);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1e6);
  }
  writeFileSync(join(dir, 'logits-wemoe.f32'), logits.data as Float32Array);
  console.log(
    JSON.stringify({
      s_per_forward: median(wall),
      cpu_s_per_forward: median(cpu),
      peak_rss_mib: peakRssMiB(),
    }),
  );
}

async function workerStep(dir: string, threads: number, steps: number): Promise<void> {
  const model = loadT5Wemoe(join(dir, 'model'));
  const inputs = readInputs(dir);
  const loadedRss = peakRssMiB();
  const draws: number[] = []; // wall seconds at each task's batch, the first right before its pass
  const tasks = model.experts.map((name, t) => {
    const ids = inputs.get(`input_ids.${t}`)!;
    const rows = Array.from({ length: BATCH }, (_, b) =>
      Array.from((ids.data as BigInt64Array).subarray(b * SRC, (b + 1) * SRC), Number),
    );
    const task = tokenTask(name, rows);
    return {
      ...task,
      pixels: (indices: readonly number[]) => {
        draws.push(performance.now() / 1000);
        return task.pixels(indices);
      },
    };
  });
  const options = {
    lr: 1e-4,
    schedule: 'constant' as const,
    batchSize: BATCH,
    seed: 0,
    progress: 'none' as const,
  };
  const start = performance.now() / 1000;
  const cpuStart = process.cpuUsage();
  const tta = await adaptT5Wemoe(
    model,
    tasks,
    { ...options, steps, log: () => {} },
    { threads, profile: process.env.WEMOE_BENCH_PROFILE },
  );
  const end = performance.now() / 1000;
  const cpu = process.cpuUsage(cpuStart);
  saveSafetensors(join(dir, 'routers-after.safetensors'), Object.fromEntries(model.routers));
  const first = draws[0];
  const taskEnds = [...draws.slice(1, TASKS), steps > 1 ? draws[TASKS] : end];
  console.log(
    JSON.stringify({
      s_per_step: (end - first) / steps,
      cpu_s_per_step: (cpu.user + cpu.system) / 1e6 / steps, // compiling included
      compile_s: first - start,
      step0_per_task: model.experts.map((t) => tta.lossCurve[0].per_task[t]),
      step0_task_s: taskEnds.map((e, k) => e - draws[k]),
      rss_mib_loaded: loadedRss,
      peak_rss_mib: peakRssMiB(),
    }),
  );
}

type SideResult = Record<string, unknown> & { peak_rss_mib: number };

function runJson(command: string, args: string[], env = process.env): SideResult | { error: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{'))
    return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').slice(-3).join(' ') };
  return JSON.parse(line);
}

function runOrThrow(args: string[]): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`t5 bench ${args.join(' ')} failed:\n${r.stderr}`);
}

function readF32(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

interface CaseSpec {
  /** Seconds per unit (forward or step) in a side's result. */
  readonly timeKey: 's_per_forward' | 's_per_step';
  readonly flops: number;
  readonly workerArgs: string[];
  readonly peerArgs: string[];
  /** The side-by-side checks of both outputs. */
  readonly checks: (dir: string, ours: SideResult, theirs: SideResult) => Record<string, number>;
}

const CASES: Record<string, (threads: number, dir: string) => CaseSpec> = {
  forward: (threads, dir) => {
    const repeats = process.env.WEMOE_BENCH_T5_REPEATS ?? '3';
    return {
      timeKey: 's_per_forward',
      flops: t5ForwardFlops(FLAN_T5_BASE, BATCH, { src: SRC, tgt: 1 }),
      workerArgs: [String(threads), repeats],
      peerArgs: ['--mode', 'forward', '--repeats', repeats, '--logits-out', join(dir, 'logits-torch.f32')],
      checks: (d) => ({
        logits_max_abs_diff: maxAbsDiff(
          readF32(join(d, 'logits-wemoe.f32')),
          readF32(join(d, 'logits-torch.f32')),
        ),
      }),
    };
  },
  wemoe_step: (threads, dir) => {
    const steps = process.env.WEMOE_BENCH_T5_STEPS ?? '1';
    return {
      timeKey: 's_per_step',
      flops: t5WemoeStepFlops(FLAN_T5_BASE, BATCH, { src: SRC, tgt: 1 }, TASKS).step,
      workerArgs: [String(threads), steps],
      peerArgs: [
        '--mode',
        'wemoe-step',
        '--steps',
        steps,
        '--reference-routers',
        join(dir, 'routers-after.safetensors'),
      ],
      checks: (_d, ours, theirs) => ({
        step0_loss_max_abs_diff: maxAbsDiff(
          ours.step0_per_task as number[],
          theirs.step0_per_task as number[],
        ),
        routers_after_max_abs_diff: theirs.routers_after_max_abs_diff as number,
      }),
    };
  },
};

async function benchCase(name: string, threads: number, python: string | undefined, peak: MatmulPeak) {
  const dir = mkdtempSync(join(tmpdir(), `wemoe-bench-t5-${name}-`));
  try {
    const spec = CASES[name](threads, dir);
    runOrThrow(['--prepare', name, dir]);
    const sides: Record<string, SideResult | { error: string }> = {};
    const load: Record<string, number[]> = { before: loadavg() };
    sides.wemoe = runJson(process.execPath, [
      '--import',
      'tsx',
      self,
      '--worker',
      name,
      dir,
      ...spec.workerArgs,
    ]);
    load.after_wemoe = loadavg();
    if (python) {
      const args = [join(self, '..', 'torch', 't5_fast.py'), '--model', join(dir, 'model')];
      args.push('--inputs', join(dir, 'inputs.safetensors'), '--threads', String(threads), ...spec.peerArgs);
      sides.torch_fast = runJson(python, args, { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' });
      load.after_torch_fast = loadavg();
    }
    const result: Record<string, unknown> = { gflop: spec.flops / 1e9, threads };
    for (const [side, r] of Object.entries(sides)) {
      if ('error' in r) {
        result[side] = r;
        continue;
      }
      const gflops = spec.flops / (r[spec.timeKey] as number) / 1e9;
      result[side] = { ...r, gflop_per_s: gflops, fraction_of_peak: gflops / peak.peak_gflop_per_s };
    }
    const ours = sides.wemoe;
    const theirs = sides.torch_fast;
    if (theirs && !('error' in ours) && !('error' in theirs)) {
      result.speedup_vs_torch_fast = (theirs[spec.timeKey] as number) / (ours[spec.timeKey] as number);
      result.rss_vs_torch_fast = ours.peak_rss_mib / theirs.peak_rss_mib;
      Object.assign(result, spec.checks(dir, ours, theirs));
    }
    result.load_average = load;
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const threads = Number(process.env.WEMOE_BENCH_THREADS ?? 2);
  const wanted = process.env.WEMOE_BENCH_T5_CASES?.split(',') ?? Object.keys(CASES);
  const python = systemCommand('pytorch');
  if (!python) console.log(`t5 bench: timing wemoe alone; ${missingSystemDependency('pytorch')}`);
  const peak = await measureMatmulPeak(threads, python);
  console.log('matmul peak', JSON.stringify(peak));
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    threads,
    load_average_before: loadavg(),
    matmul_peak: peak,
  };
  for (const name of wanted) {
    if (!CASES[name])
      throw new Error(`unknown t5 bench case ${name}; expected ${Object.keys(CASES).join(', ')}`);
    results[name] = await benchCase(name, threads, python, peak);
    console.log(name, JSON.stringify(results[name]));
  }
  results.load_average_after = loadavg();
  writeResult('t5', results);
}

const [mode, name, dir, a, b] = process.argv.slice(2);
if (mode === '--prepare') {
  if (name === 'forward') prepareForward(dir);
  else prepareStep(dir);
} else if (mode === '--worker') {
  if (name === 'forward') await workerForward(dir, Number(a), Number(b));
  else await workerStep(dir, Number(a), Number(b));
} else {
  await main();
}
