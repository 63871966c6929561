// Acceptance: three tiny T5 experts merged by every method through runMerge (the test-time ones adapting on
// the tasks' prompts), each output evaluated on tiny GLUE-format parquet and TSV files, the reports checked.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvalConfig } from '../../src/config/eval-config.js';
import { parseMergeConfig } from '../../src/config/merge-config.js';
import { runEval } from '../../src/eval/run-eval.js';
import { inspectCheckpoint } from '../../src/io/inspect.js';
import { runMerge } from '../../src/methods/run-merge.js';
import { loadT5, saveT5 } from '../../src/models/t5/checkpoint.js';
import { randomT5Params } from '../../src/models/t5/params.js';
import { loadT5Wemoe } from '../../src/models/t5/wemoe-checkpoint.js';
import { perturbedExperts, tinyGatedT5 } from '../models/t5/tiny.js';
import { TINY_TOKENIZER, TINY_VOCAB } from '../models/tokenizers/t5-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-t5-every-method-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The tiny vocabulary plus GLUE's answer words and digits, so that answers can be right and STS-B's numbers.
const VOCAB: [string, number][] = [
  ...TINY_VOCAB,
  ['▁acceptable', -2],
  ['▁unacceptable', -2],
  ['▁positive', -2],
  ['▁negative', -2],
  ['▁1', -2.5],
  ['▁2', -2.5],
  ['▁3', -2.5],
  ['▁4', -2.5],
  ['0', -3],
  ['5', -3],
];
const config = tinyGatedT5({ vocab_size: VOCAB.length, num_layers: 2, num_decoder_layers: 1 });
const TASKS = ['cola', 'sst2', 'stsb'];
const pre = randomT5Params(config, 11);
const experts = perturbedExperts(pre, TASKS, { seed: 60, scale: 0.3 });

function saveFolder(name: string, params: typeof pre): string {
  const folder = join(dir, name);
  saveT5(folder, { config, params });
  const tokenizer = { ...TINY_TOKENIZER, model: { ...TINY_TOKENIZER.model, vocab: VOCAB } };
  writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify(tokenizer));
  return folder;
}
saveFolder('pre', pre);
for (const task of TASKS) saveFolder(`expert-${task}`, experts.get(task)!);

// GLUE as the Hub lays it out (<task>/<split>-*.parquet, validation read by default) and a TSV file.
const SENTENCES = ['the cat sat', 'cat the', 'the cat sat .', 'sat sat', 'a cat', 'the the cat'];
function glueParquet(task: string, columns: { name: string; data: unknown[]; type: string }[]): void {
  mkdirSync(join(dir, 'glue', task), { recursive: true });
  parquetWriteFile({
    filename: join(dir, 'glue', task, 'validation-00000-of-00001.parquet'),
    // biome-ignore lint/suspicious/noExplicitAny: hyparquet-writer's column type names
    columnData: columns as any,
  });
}
glueParquet('cola', [
  { name: 'sentence', data: SENTENCES, type: 'STRING' },
  { name: 'label', data: [1n, 0n, 1n, 0n, 1n, 0n], type: 'INT64' },
]);
glueParquet('stsb', [
  { name: 'sentence1', data: SENTENCES, type: 'STRING' },
  { name: 'sentence2', data: [...SENTENCES].reverse(), type: 'STRING' },
  { name: 'label', data: [4.2, 0.5, 3.8, 1.0, 2.5, 3.0], type: 'DOUBLE' },
]);
writeFileSync(
  join(dir, 'sst2.tsv'),
  ['sentence\tlabel', ...SENTENCES.map((s, i) => `${s}\t${i % 2}`), ''].join('\n'),
);

const TTA = { steps: 2, batch_size: 2, lr: 0.05, schedule: 'constant' };
/** Run id, method, parameters. */
const RUNS: [string, string, Record<string, unknown>][] = [
  ['simple_average', 'simple_average', {}],
  ['task_arithmetic', 'task_arithmetic', { scaling_factor: 0.3 }],
  ['ties', 'ties', { scaling_factor: 0.5, threshold: 50 }],
  ['dare', 'dare', { scaling_factor: 0.3, drop_rate: 0.3 }],
  ['dare_ties', 'dare', { scaling_factor: 0.5, drop_rate: 0.3, merge: 'ties', threshold: 50 }],
  ['adamerging_task', 'adamerging', { granularity: 'task', ...TTA }],
  ['adamerging_layer', 'adamerging', { granularity: 'layer', clamp: 'parameter', ...TTA }],
  ['wemoe_depth0', 'wemoe', { router_depth: 0, ...TTA }],
  ['wemoe_depth1', 'wemoe', { router_depth: 1, batch_reduce: true, objective: 'per-sample', ...TTA }],
  ['wemoe_depth2', 'wemoe', { router_depth: 2, routing_includes_padding: true, ...TTA }],
  // Routers left at their start (lr 0): WEMoE at depth 0 is then task arithmetic with λ = init_lambda.
  ['wemoe_init', 'wemoe', { router_depth: 0, ...TTA, lr: 0 }],
];

/** The merge config of a run, as a YAML document would hold it (paths relative to `dir`). */
function mergeDoc(id: string, method: string, parameters: Record<string, unknown>) {
  return {
    method,
    parameters,
    models: {
      pretrained: 'pre',
      experts: Object.fromEntries(TASKS.map((t) => [t, `expert-${t}`])),
    },
    // cola and sst2 by exact label scoring (random models seldom generate a label word), stsb generated.
    tasks: {
      cola: { data: 'glue/cola', mode: 'score' },
      sst2: { data: 'sst2.tsv', mode: 'score' },
      stsb: { data: 'glue/stsb' },
    },
    output: `out/${id}`,
    seed: 5,
  };
}

/** report.json of each run's evaluation. */
type ReportJson = { methods: Record<string, Record<string, unknown>> };
const reports = new Map<string, ReportJson>();

async function mergeAndEvaluate(id: string, method: string, parameters: Record<string, unknown>) {
  const doc = mergeDoc(id, method, parameters);
  const merged = await runMerge(parseMergeConfig(doc, { source: `${id}.yaml`, baseDir: dir }), {
    log: () => {},
    progress: 'none',
  });
  const evalConfig = parseEvalConfig({ ...doc, batch_size: 4 }, { source: `${id}.yaml`, baseDir: dir });
  const { report, paths } = await runEval(evalConfig, {
    out: join(dir, 'reports', id),
    threads: 1,
    progress: 'none',
    log: () => {},
  });
  const json = JSON.parse(readFileSync(paths!.json, 'utf8'));
  reports.set(id, json);
  return { merged, report, paths: paths!, json };
}

describe('every method on three tiny T5 experts, evaluated on GLUE-format files', () => {
  it.each(RUNS)('%s: merged, saved, evaluated; the reports show the GLUE table', async (id, method, p) => {
    const { merged, report, paths, json } = await mergeAndEvaluate(id, method, p);
    const output = join(dir, 'out', id);
    for (const file of ['config.json', 'tokenizer.json', 'merge_config.yaml', 'README.md', 'report.json'])
      expect(existsSync(join(output, file)), file).toBe(true);
    expect(merged.report!.method).toBe(method);

    // report.json: FusionBench's Flan-T5 keys, the metrics named, the average their mean.
    expect(json.tasks).toEqual(TASKS);
    expect(json.task_metrics).toEqual({ cola: 'accuracy', sst2: 'accuracy', stsb: 'spearman' });
    const row = json.methods[method];
    expect(Object.keys(row.cola)).toEqual(['accuracy']);
    expect(Object.keys(row.sst2)).toEqual(['accuracy']);
    expect(Object.keys(row.stsb)).toEqual(['spearman_rho']);
    const scores = [row.cola.accuracy, row.sst2.accuracy, row.stsb.spearman_rho];
    for (const s of scores.slice(0, 2)) expect(s * 6).toBeCloseTo(Math.round(s * 6), 9); // k of 6 rows
    expect(row.average).toEqual({ accuracy: (scores[0] + scores[1] + scores[2]) / 3 });
    expect(report.methods[0].per_task.stsb.accuracy).toBe(scores[2]);

    const md = readFileSync(paths.md, 'utf8');
    expect(md).toContain("## GLUE score (%): accuracy; Spearman's ρ × 100 in the (ρ) columns");
    expect(md).toMatch(/\| Method +\| +cola \| +sst2 \| +stsb \(ρ\) \| +Avg\. \|/);
    const cell = (v: number) => ` +\\*\\*${(v * 100).toFixed(1)}\\*\\* \\|`;
    const average = (scores[0] + scores[1] + scores[2]) / 3;
    expect(md).toMatch(new RegExp(`\\| ${id} +\\|${[...scores, average].map(cell).join('')}`));
    // The tiny models never answer with a number: every STS-B answer reads 0, ρ is undefined, scored 0.
    expect(scores[2]).toBe(0);
    const note = "stsb: every answer (or label) the same, Spearman's ρ undefined; scored 0";
    expect(json.settings.notes).toContain(note);
    expect(md).toContain(note);
    expect(md).not.toContain('Mean test loss');
    const html = readFileSync(paths.html, 'utf8');
    expect(html).toContain('stsb (ρ)');
    expect(html).not.toContain('Mean test loss');
  });

  it('AdaMerging saves the plain merged T5: θ0 + Σt λt τt with the coefficients it writes', () => {
    for (const id of ['adamerging_task', 'adamerging_layer']) {
      const output = join(dir, 'out', id);
      const coefficients = JSON.parse(readFileSync(join(output, 'adamerging_coefficients.json'), 'utf8'));
      expect(coefficients.tasks).toEqual(TASKS);
      const merged = loadT5(output);
      expect(merged.config).toEqual(config);
      let moved = 0;
      for (const [name, t] of pre) {
        const lambdas: number[] =
          coefficients.granularity === 'task' ? coefficients.coefficients : coefficients.coefficients[name];
        if (id === 'adamerging_layer') for (const l of lambdas) expect(l >= 0 && l <= 1).toBe(true);
        moved += lambdas.filter((l) => Math.abs(l - 0.3) > 1e-6).length;
        const base = t.data as Float32Array;
        const got = merged.params.get(name)!.data as Float32Array;
        for (let i = 0; i < base.length; i += 7) {
          const want = TASKS.reduce(
            (v, task, k) =>
              v + lambdas[k] * ((experts.get(task)!.get(name)!.data as Float32Array)[i] - base[i]),
            base[i],
          );
          expect(got[i]).toBeCloseTo(want, 5);
        }
      }
      expect(moved, `${id}: λ moved from init`).toBeGreaterThan(0);
      const report = JSON.parse(readFileSync(join(output, 'report.json'), 'utf8'));
      expect(report.tta.steps).toBe(2);
      expect(report.model_info.trainable_params).toBe(
        coefficients.granularity === 'task' ? 3 : 3 * Object.keys(coefficients.coefficients).length,
      );
    }
  });

  it('WEMoE saves a T5 WEMoE folder with its settings; routers at their start score as task arithmetic', () => {
    const depth1 = loadT5Wemoe(join(dir, 'out', 'wemoe_depth1'));
    expect([depth1.routerDepth, depth1.batchReduce, depth1.routingIncludesPadding]).toEqual([1, true, false]);
    const depth2 = loadT5Wemoe(join(dir, 'out', 'wemoe_depth2'));
    expect([depth2.routerDepth, depth2.routingIncludesPadding]).toEqual([2, true]);
    expect(depth2.experts).toEqual(TASKS);
    // Every encoder (2) and decoder (1) block's feed-forward module is a mixture.
    expect([...depth2.moes.keys()]).toEqual([
      'encoder.block.0.layer.1.DenseReluDense.',
      'encoder.block.1.layer.1.DenseReluDense.',
      'decoder.block.0.layer.2.DenseReluDense.',
    ]);
    const start = loadT5Wemoe(join(dir, 'out', 'wemoe_init'));
    for (const t of start.routers.values())
      expect([...(t.data as Float32Array)]).toEqual([0.3, 0.3, 0.3].map(Math.fround));
    const adapted = loadT5Wemoe(join(dir, 'out', 'wemoe_depth0'));
    const moved = [...adapted.routers.values()].some((t) =>
      (t.data as Float32Array).some((v) => Math.abs(v - Math.fround(0.3)) > 1e-4),
    );
    expect(moved).toBe(true);
    const names = inspectCheckpoint(join(dir, 'out', 'wemoe_depth2')).tensors.map((t) => t.name);
    expect(names).toContain('decoder.block.0.layer.2.DenseReluDense.gate.fc2.bias');
    expect(names).toContain('encoder.block.1.layer.1.DenseReluDense.task_vectors.2.wo.weight');

    const ta = reports.get('task_arithmetic')!;
    const init = reports.get('wemoe_init')!;
    for (const task of TASKS)
      expect(init.methods.wemoe[task], task).toEqual(ta.methods.task_arithmetic[task]);
    // The evaluation's routing analysis: depth-0 routers at their start weigh every expert 0.3 on every
    // prompt, in both stacks; a depth-2 model routes each block of each stack.
    type Routing = { layers: number[]; tasks: string[]; experts: string[]; mean_weights: number[][][] };
    const details = (id: string) =>
      (reports.get(id) as unknown as { details: Record<string, Record<string, Routing>> }).details.wemoe;
    for (const stack of ['routing', 'decoder_routing']) {
      const routing = details('wemoe_init')[stack];
      expect([routing.tasks, routing.experts], stack).toEqual([TASKS, TASKS]);
      for (const w of routing.mean_weights.flat(2)) expect(w).toBeCloseTo(0.3, 6);
    }
    expect(details('wemoe_depth2').routing.layers).toEqual([0, 1]);
    expect(details('wemoe_depth2').decoder_routing.layers).toEqual([0]);
    for (const w of details('wemoe_depth2').routing.mean_weights.flat(2))
      expect(Number.isFinite(w)).toBe(true);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'wemoe_depth2', 'report.json'), 'utf8'));
    expect(report.model_info.trainable_params).toBe(
      [...depth2.routers.values()].reduce((n, t) => n + t.data.length, 0),
    );
  });

  it('wemoe merge --dry-run on T5 checks the tasks and prints the estimate; wemoe eval runs the WEMoE folder', () => {
    const yaml = join(dir, 'dry.yaml');
    const doc = mergeDoc('dry', 'wemoe', { steps: 10 });
    writeFileSync(yaml, JSON.stringify(doc));
    const wemoe = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
    const dry = wemoe('merge', yaml, '--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('checked: 4 checkpoints agree');
    expect(dry.stderr).toContain(`checked: task stsb: 6 prompts (${join(dir, 'glue', 'stsb')})`);
    expect(dry.stderr).toMatch(
      /estimate \(±30%.*\): [\d.]+ s per adaptation step .* for 10 steps; peak memory/,
    );
    expect(existsSync(join(dir, 'out', 'dry'))).toBe(false);

    const evalYaml = join(dir, 'eval-wemoe.yaml');
    writeFileSync(evalYaml, JSON.stringify({ ...mergeDoc('wemoe_depth2', 'wemoe', TTA), batch_size: 4 }));
    const evaluated = wemoe('eval', evalYaml, '--out', join(dir, 'cli-report'));
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(dir, 'cli-report', 'report.json'), 'utf8'));
    expect(json.methods.wemoe).toMatchObject(
      Object.fromEntries(TASKS.map((t) => [t, reports.get('wemoe_depth2')!.methods.wemoe[t]])),
    );
    expect(evaluated.stdout).toContain('stsb (ρ)');
  });
});
