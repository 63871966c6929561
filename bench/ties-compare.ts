/**
 * The merge bench's Ties comparisons: the Ties of another source tree (the hand-emitted WebAssembly one,
 * at commit eb2bfc9, checked out with `git worktree add /tmp/ties-old eb2bfc9` and node_modules linked;
 * WEMOE_TIES_BEFORE names another folder), the PyTorch peer (bench/torch/ties_merge.py, in memory), the
 * merge pass in ONNX Runtime against the typed-array loops, and the lines of code of the Ties path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { planMerge } from '../src/merge/plan.js';
import { mergeReader, ReadAhead } from '../src/merge/read-ahead.js';
import { tiesMethod, trimRank } from '../src/merge/ties.js';
import { tiesMerge } from '../src/merge/ties-entries.js';
import { GlobalTrim } from '../src/merge/ties-global.js';
import { systemCommand } from '../src/util/system-deps.js';
import { onnxTiesMerge } from './ties-onnx.js';
import { peakRssMiB } from './util.js';

const self = fileURLToPath(import.meta.url);
const repo = join(self, '..', '..');

/** The files of the Ties path and their lines at eb2bfc9 (git show eb2bfc9:FILE | wc -l). */
const BEFORE: Readonly<Record<string, number>> = {
  'src/merge/kernels/ (13 files)': 2663,
  'src/merge/ties.ts': 135,
  'src/merge/ties-global.ts': 456,
  'src/merge/ties-sample.ts': 295,
  'src/merge/ties-records.ts': 139,
  'src/merge/spill-file.ts': 104,
  'src/merge/magnitude-select.ts': 290,
  'src/merge/stream.ts': 321,
};
/** The files of the Ties path now (stream.ts is the whole driver, as before). */
const AFTER = [
  'src/merge/ties.ts',
  'src/merge/ties-global.ts',
  'src/merge/ties-bracket.ts',
  'src/merge/ties-entries.ts',
  'src/merge/magnitude-select.ts',
  'src/merge/stream.ts',
];

export function tiesLinesOfCode() {
  const after = Object.fromEntries(
    AFTER.map((file) => [file, readFileSync(join(repo, file), 'utf8').split('\n').length - 1]),
  );
  const total = (lines: Readonly<Record<string, number>>) => Object.values(lines).reduce((a, b) => a + b, 0);
  return { before: { total: total(BEFORE), files: BEFORE }, after: { total: total(after), files: after } };
}

/** The source tree whose Ties is "before", when it is there. */
export function beforeTree(): string | undefined {
  const dir = process.env.WEMOE_TIES_BEFORE ?? '/tmp/ties-old';
  return existsSync(join(dir, 'bench', 'merge.bench.ts')) ? dir : undefined;
}

/** Runs the merge bench's `--child ties` of another source tree (same inputs in os.tmpdir()). */
export function measureBefore(dir: string): unknown {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/merge.bench.ts', '--child', 'ties'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`ties of ${dir} failed with status ${run.status}`);
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** The PyTorch peer on the same models (undefined without torch). */
export function measureTorch(dir: string, tasks: readonly string[], threads: number): unknown {
  const python = systemCommand('pytorch');
  if (python === undefined) return undefined;
  const out = join(dir, 'ties-torch.f32');
  const script = join(self, '..', 'torch', 'ties_merge.py');
  const args = [script, '--models', dir, '--tasks', tasks.join(','), '--out', out, '--threads', `${threads}`];
  const run = spawnSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  rmSync(out, { force: true });
  if (run.status !== 0) throw new Error(`torch ties failed with status ${run.status}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

/**
 * Child: Ties' observation passes, then the merge pass twice per tensor, in typed-array loops and in
 * ONNX Runtime (merge_func sum), timed apart; the two must agree bit for bit.
 */
export async function mergePassVariants(dir: string, tasks: readonly string[]) {
  const sources = {
    pretrained: openCheckpoint(join(dir, 'pretrained')),
    experts: Object.fromEntries(tasks.map((t) => [t, openCheckpoint(join(dir, t))])),
  };
  const plan = planMerge(sources);
  const params = tiesMethod.params.parse({});
  const trim = GlobalTrim.forModels(
    plan.tasks.length,
    trimRank(plan.floatParams, params.threshold),
    plan.floatParams,
  );
  const reader = mergeReader(sources, plan);
  const readAhead = () => new ReadAhead(sources, plan.tasks, plan.floatTensors, reader?.reader ?? null);
  for (let pass = 0; pass < trim.passes; pass++) {
    const ahead = readAhead();
    for (const { name } of plan.floatTensors) {
      const { pretrained, experts } = ahead.next(name);
      trim.observe(pass, { base: pretrained, arrays: experts });
    }
    ahead.close();
  }
  trim.finish();
  const { thresholds, majority } = trim;
  const graph = await onnxTiesMerge(plan.tasks.length, thresholds, params.scaling_factor, majority);
  let typedSeconds = 0;
  let onnxSeconds = 0;
  let differences = 0;
  const ahead = readAhead();
  for (const { name } of plan.floatTensors) {
    const tensors = ahead.next(name);
    let start = performance.now();
    const typed = tiesMerge(
      tensors.pretrained,
      { base: tensors.pretrained, arrays: tensors.experts },
      thresholds,
      {
        ...params,
        tie: majority,
      },
    );
    typedSeconds += (performance.now() - start) / 1000;
    start = performance.now();
    const n = typed.length;
    // ONNX Runtime takes no memory shared between threads (the read-ahead ring): such inputs are copied.
    const feed = (data: Float32Array) => ({
      dtype: 'F32' as const,
      shape: [n],
      data: data.buffer instanceof SharedArrayBuffer ? data.slice() : data,
    });
    const feeds = Object.fromEntries([
      ['pretrained', feed(tensors.pretrained)],
      ...tensors.experts.map((e, t) => [`expert${t}`, feed(e)]),
    ]);
    const onnx = (await graph.run(feeds)).merged.data as Float32Array;
    onnxSeconds += (performance.now() - start) / 1000;
    const [a, b] = [new Uint32Array(typed.buffer), new Uint32Array(onnx.buffer, onnx.byteOffset, n)];
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) differences++;
  }
  ahead.close();
  reader?.close();
  return {
    merge_pass_typed_arrays_s: typedSeconds,
    merge_pass_onnx_s: onnxSeconds,
    bit_differences: differences,
    peak_rss_mib: peakRssMiB(),
  };
}
