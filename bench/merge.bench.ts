/**
 * Static merges at ViT-B/32 size: 8 random experts + the pretrained model (88M parameters each, the
 * CLIP vision tensor list), written once into os.tmpdir() with the real checkpoint writer and reused
 * (`--clean` removes them). Each measurement runs in its own process so peak RSS is per merge:
 * the read floor (every tensor of every model read once, the faster of a plain synchronous read and the
 * merge driver's own read-ahead on a worker thread with nothing merged), task_arithmetic and ties
 * (global trim: two counting passes, then the merge pass; phase times are reported).
 * Ties is compared in the same run with the Ties of the tree before it left hand-emitted WebAssembly
 * (when checked out, see ties-compare.ts), with the PyTorch peer (in-memory Ties, torch.kthvalue per
 * task) and, for its merge pass, with the same maths as an ONNX Runtime graph; the lines of code of the
 * Ties path before and after are printed.
 * Targets: ties ≤ 2× the Ties before and faster than the PyTorch peer, peak RSS ≤ 1.5 GB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMergeConfig } from '../src/config/merge-config.js';
import { createCheckpointWriter, openCheckpoint, writeConfig } from '../src/io/checkpoint.js';
import type { TensorEntry } from '../src/io/tensor-sink.js';
import { planMerge } from '../src/merge/plan.js';
import { mergeReader, ReadAhead } from '../src/merge/read-ahead.js';
import { runMerge } from '../src/methods/run-merge.js';
import { numel } from '../src/tensor/tensor.js';
import { installHint } from '../src/util/system-deps.js';
import {
  beforeTree,
  measureBefore,
  measureTorch,
  mergePassVariants,
  tiesLinesOfCode,
} from './ties-compare.js';
import { peakRssMiB, writeResult } from './util.js';

const DIR = join(tmpdir(), 'wemoe-merge-bench');
const TASKS = ['sun397', 'cars', 'resisc45', 'eurosat', 'svhn', 'gtsrb', 'mnist', 'dtd'];
const D = 768;
const MLP = 3072;

/** The CLIP ViT-B/32 vision tensors (HF names). */
function vitB32Entries(): TensorEntry[] {
  const f = (name: string, shape: number[]): TensorEntry => ({
    name: `vision_model.${name}`,
    dtype: 'F32',
    shape,
  });
  const entries = [
    f('embeddings.class_embedding', [D]),
    f('embeddings.patch_embedding.weight', [D, 3, 32, 32]),
    f('embeddings.position_embedding.weight', [50, D]),
    { name: 'vision_model.embeddings.position_ids', dtype: 'I64', shape: [1, 50] } as TensorEntry,
    f('pre_layrnorm.weight', [D]),
    f('pre_layrnorm.bias', [D]),
  ];
  for (let i = 0; i < 12; i++) {
    const p = `encoder.layers.${i}`;
    entries.push(f(`${p}.layer_norm1.weight`, [D]), f(`${p}.layer_norm1.bias`, [D]));
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      entries.push(f(`${p}.self_attn.${proj}.weight`, [D, D]), f(`${p}.self_attn.${proj}.bias`, [D]));
    }
    entries.push(f(`${p}.layer_norm2.weight`, [D]), f(`${p}.layer_norm2.bias`, [D]));
    entries.push(f(`${p}.mlp.fc1.weight`, [MLP, D]), f(`${p}.mlp.fc1.bias`, [MLP]));
    entries.push(f(`${p}.mlp.fc2.weight`, [D, MLP]), f(`${p}.mlp.fc2.bias`, [D]));
  }
  entries.push(f('post_layernorm.weight', [D]), f('post_layernorm.bias', [D]));
  return entries;
}

/** base + roughly normal noise of standard deviation `std` (Irwin–Hall of 3 xorshift32 uniforms). */
function fillNoise(out: Float32Array, seed: number, std: number, base?: Float32Array): void {
  let s = seed | 0 || 1;
  const k = std / 2 ** 31; // a uniform on [−std, std) has variance std²/3; three of them sum to std²
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let j = 0; j < 3; j++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      sum += s;
    }
    out[i] = (base ? base[i] : 0) + sum * k;
  }
}

function writeModels(): void {
  const entries = vitB32Entries();
  const names = ['pretrained', ...TASKS];
  const bases = new Map<string, Float32Array>();
  names.forEach((model, m) => {
    const dir = join(DIR, model);
    const sink = createCheckpointWriter(dir, entries);
    entries.forEach((e, i) => {
      if (e.dtype === 'I64') {
        sink.write(e.name, {
          dtype: 'I64',
          shape: e.shape,
          data: BigInt64Array.from({ length: 50 }, (_, j) => BigInt(j)),
        });
        return;
      }
      const values = new Float32Array(numel(e.shape));
      // Pretrained ~ N(0, 0.02²); expert = pretrained + τ, τ ~ N(0, 0.001²).
      if (m === 0) {
        fillNoise(values, 1000 + i, 0.02);
        bases.set(e.name, values);
      } else fillNoise(values, (m + 1) * 7919 + i, 0.001, bases.get(e.name));
      sink.write(e.name, { dtype: 'F32', shape: e.shape, data: values });
    });
    sink.finish();
    writeConfig(dir, { model_type: 'clip_vision_model', hidden_size: D });
  });
  writeFileSync(join(DIR, 'complete'), `${new Date().toISOString()}\n`);
}

/** Child: read every tensor of every model once. */
function readFloor(): void {
  for (const model of ['pretrained', ...TASKS]) {
    const source = openCheckpoint(join(DIR, model));
    for (const name of source.names()) source.readF32(name);
    source.close();
  }
}

/** Child: every float tensor of every model through the merge driver's read-ahead, nothing merged. */
function readAheadFloor(): void {
  const sources = {
    pretrained: openCheckpoint(join(DIR, 'pretrained')),
    experts: Object.fromEntries(TASKS.map((t) => [t, openCheckpoint(join(DIR, t))])),
  };
  const plan = planMerge(sources);
  const reader = mergeReader(sources, plan);
  const ahead = new ReadAhead(sources, plan.tasks, plan.floatTensors, reader?.reader ?? null);
  for (const info of plan.floatTensors) ahead.next(info.name);
  ahead.close();
  reader?.close();
  for (const source of [sources.pretrained, ...Object.values(sources.experts)]) source.close();
}

/** Reads before the merge pass and wall seconds per phase, from the merge report. */
interface Phases {
  passes: number;
  observe_s: number;
  merge_s: number;
}

async function merge(method: string): Promise<Phases> {
  const config = parseMergeConfig({
    method,
    models: {
      pretrained: join(DIR, 'pretrained'),
      experts: Object.fromEntries(TASKS.map((t) => [t, join(DIR, t)])),
    },
    output: join(DIR, `out-${method}`),
  });
  const { report } = await runMerge(config, { progress: 'none', log: () => {} });
  rmSync(config.output, { recursive: true, force: true });
  return {
    passes: report?.passes ?? 0,
    observe_s: report?.timing.observe_s ?? 0,
    merge_s: report?.timing.merge_s ?? 0,
  };
}

async function child(mode: string): Promise<void> {
  const start = performance.now();
  if (mode === 'ties_merge_pass') {
    process.stdout.write(`${JSON.stringify(await mergePassVariants(DIR, TASKS))}\n`);
    return;
  }
  const phases = mode === 'read' ? readFloor() : mode === 'read_ahead' ? readAheadFloor() : await merge(mode);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(
    `${JSON.stringify({ seconds, cpu_seconds: cpuSeconds, peak_rss_mib: peakRssMiB(), phases })}\n`,
  );
}

interface Measured {
  seconds: number;
  /** CPU time (user + system) of the child: steadier than wall time on a shared machine. */
  cpu_seconds: number;
  peak_rss_mib: number;
  phases?: Phases;
}

function measure(mode: string): Measured {
  if (mode === 'ties_before') return measureBefore(before!) as Measured;
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  if (run.status !== 0) throw new Error(`bench child '${mode}' failed with status ${run.status}`);
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

const ROUNDS = 3;

/** Per field, the median over the rounds (wall and CPU time each on their own). */
function median(runs: Measured[]): Measured {
  const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const byWall = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
  return {
    seconds: mid(runs.map((r) => r.seconds)),
    cpu_seconds: mid(runs.map((r) => r.cpu_seconds)),
    peak_rss_mib: mid(runs.map((r) => r.peak_rss_mib)),
    phases: byWall.phases,
  };
}

const before = beforeTree();

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]);
  if (args.includes('--clean')) {
    rmSync(DIR, { recursive: true, force: true });
    console.log(`removed ${DIR}`);
    return;
  }
  const genStart = performance.now();
  if (!existsSync(join(DIR, 'complete'))) {
    rmSync(DIR, { recursive: true, force: true });
    writeModels();
  }
  const generateSeconds = (performance.now() - genStart) / 1000;
  const params = vitB32Entries().reduce((sum, e) => sum + numel(e.shape), 0);
  const loadBefore = loadavg()[0];
  measure('read'); // warms the page cache: every later measurement reads from memory alike
  // The read floor's wall time alone varies 2× from run to run here: rounds interleave the three
  // measurements and each is reported as its median.
  const modes = ['read', 'read_ahead', 'task_arithmetic', 'ties', 'ties_before'] as const;
  const rounds: Record<(typeof modes)[number], Measured[]> = {
    read: [],
    read_ahead: [],
    task_arithmetic: [],
    ties: [],
    ties_before: [],
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of modes) if (mode !== 'ties_before' || before) rounds[mode].push(measure(mode));
  }
  const torch = measureTorch(DIR, TASKS, availableParallelism()) as Measured | undefined;
  const mergePass = JSON.parse(
    spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', 'ties_merge_pass'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
      .stdout.trim()
      .split('\n')
      .pop()!,
  );
  // The floor is the faster way to merely read the inputs: the merges read ahead on a worker thread, so
  // a plain synchronous read alone would flatter them.
  const plain = median(rounds.read);
  const ahead = median(rounds.read_ahead);
  const floor = ahead.seconds < plain.seconds ? ahead : plain;
  const ta = median(rounds.task_arithmetic);
  const ties = median(rounds.ties);
  const tiesBefore = before ? median(rounds.ties_before) : undefined;
  const lines = tiesLinesOfCode();
  writeResult('merge', {
    models: 1 + TASKS.length,
    params_per_model: params,
    input_gb: (((1 + TASKS.length) * params * 4) / 1e9).toFixed(2),
    generate_s: generateSeconds,
    rounds: ROUNDS,
    wall_s_per_round: Object.fromEntries(
      Object.entries(rounds).map(([m, r]) => [m, r.map((x) => x.seconds)]),
    ),
    read_plain_s: plain.seconds,
    read_ahead_s: ahead.seconds,
    read_floor_s: floor.seconds,
    task_arithmetic_s: ta.seconds,
    ties_s: ties.seconds,
    task_arithmetic_over_floor: ta.seconds / floor.seconds,
    ties_over_floor: ties.seconds / floor.seconds,
    cpu_s: { read: floor.cpu_seconds, task_arithmetic: ta.cpu_seconds, ties: ties.cpu_seconds },
    cpu_task_arithmetic_over_floor: ta.cpu_seconds / floor.cpu_seconds,
    cpu_ties_over_floor: ties.cpu_seconds / floor.cpu_seconds,
    peak_rss_mib: {
      read: Math.max(...rounds.read.map((x) => x.peak_rss_mib)),
      read_ahead: Math.max(...rounds.read_ahead.map((x) => x.peak_rss_mib)),
      task_arithmetic: Math.max(...rounds.task_arithmetic.map((x) => x.peak_rss_mib)),
      ties: Math.max(...rounds.ties.map((x) => x.peak_rss_mib)),
    },
    ties_phases: ties.phases,
    ties_before: tiesBefore && { tree: before, ...tiesBefore },
    ties_over_before: tiesBefore && ties.seconds / tiesBefore.seconds,
    cpu_ties_over_before: tiesBefore && ties.cpu_seconds / tiesBefore.cpu_seconds,
    torch_ties: torch ?? `no PyTorch: ${installHint('pytorch')}`,
    ties_over_torch: torch && ties.seconds / torch.seconds,
    ties_merge_pass: mergePass,
    ties_lines_of_code: lines,
    targets: { ties_over_before: 2, ties_over_torch: 1, peak_rss_mib: 1.5 * 1024 },
    load_average: { start: loadBefore, end: loadavg()[0] },
    note: `inputs kept in ${DIR}; remove with: npx tsx bench/merge.bench.ts --clean`,
  });
  const fixed = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(2)} s`);
  console.log(
    `ties: ${fixed(ties.seconds)} (cpu ${fixed(ties.cpu_seconds)}); before: ${fixed(tiesBefore?.seconds)} ` +
      `(cpu ${fixed(tiesBefore?.cpu_seconds)}); PyTorch peer: ${fixed(torch?.seconds)} (cpu ${fixed(torch?.cpu_seconds)})`,
  );
  console.log(
    `ties merge pass: typed arrays ${fixed(mergePass.merge_pass_typed_arrays_s)}, ONNX Runtime ` +
      `${fixed(mergePass.merge_pass_onnx_s)} (${mergePass.bit_differences} entries differ)`,
  );
  console.log(`ties path, lines of code: before ${lines.before.total}, after ${lines.after.total}`);
}

await main();
