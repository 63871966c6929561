/**
 * The suite's model table (assets/suite/README.md, section Models): test accuracy of the pre-trained
 * encoder with the linear heads, of every expert on every task (8×8), of task arithmetic (λ = 0.3) and
 * of the experts' weight average; and the mean prediction entropy of every expert on every task.
 * Usage: tsx scripts/suite-table.ts [--limit N] [--models DIR] [--json FILE]. Reusable: import
 * computeSuiteTable / formatSuiteTable.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { suiteTasks } from '../src/data/suite.js';
import type { ClipParams } from '../src/models/clip-vision/params.js';
import { loadSuiteModels, type SuiteModels, suiteModelsDir } from '../src/models/suite-models.js';
import { taskArithmetic } from '../src/tensor/task-arithmetic.js';
import { evaluateEncoder, loadTestSets, type TaskScore, type TestSet } from './suite-models/evaluate.js';
import { THREADS } from './suite-models/settings.js';

export interface SuiteTable {
  readonly tasks: readonly string[];
  /** Test images per task. */
  readonly counts: readonly number[];
  readonly pretrained: readonly TaskScore[];
  /** [expert][task] */
  readonly experts: readonly (readonly TaskScore[])[];
  readonly taskArithmetic: readonly TaskScore[];
  readonly weightAverage: readonly TaskScore[];
}

/** θ0 + λ·Σ(θt − θ0) over every tensor (λ = 1/T gives the weight average). */
export function mergeByTaskArithmetic(models: SuiteModels, lambda: number): ClipParams {
  const merged: ClipParams = new Map();
  for (const [name, tensor] of models.pretrained) {
    const experts = [...models.experts.values()].map((p) => p.get(name)!.data as Float32Array);
    merged.set(name, { ...tensor, data: taskArithmetic(tensor.data as Float32Array, experts, lambda) });
  }
  return merged;
}

export async function computeSuiteTable(
  models: SuiteModels,
  sets: readonly TestSet[],
  threads = THREADS,
  log: (line: string) => void = () => {},
): Promise<SuiteTable> {
  const tasks = sets.map((s) => s.task);
  const evaluate = async (label: string, params: ClipParams) => {
    const scores = await evaluateEncoder(models.config, params, models.heads, sets, threads);
    log(`evaluated ${label}`);
    return tasks.map((t) => scores.get(t)!);
  };
  const pretrained = await evaluate('pre-trained', models.pretrained);
  const experts: TaskScore[][] = [];
  for (const task of tasks) experts.push(await evaluate(`expert ${task}`, models.experts.get(task)!));
  const ta = await evaluate('task arithmetic', mergeByTaskArithmetic(models, 0.3));
  const average = await evaluate('weight average', mergeByTaskArithmetic(models, 1 / models.experts.size));
  return {
    tasks,
    counts: sets.map((s) => s.count),
    pretrained,
    experts,
    taskArithmetic: ta,
    weightAverage: average,
  };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number) => (100 * x).toFixed(1);

function row(label: string, values: readonly string[]): string {
  return `| ${label} | ${values.join(' | ')} |`;
}

function accuracyRow(label: string, scores: readonly TaskScore[]): string {
  const accuracies = scores.map((s) => s.accuracy);
  return row(label, [...accuracies.map(pct), `**${pct(mean(accuracies))}**`]);
}

function matrix(table: SuiteTable, cell: (s: TaskScore) => string, title: string): string[] {
  const header = row(
    title,
    table.tasks.map((t) => `${t}`),
  );
  const rule = row(
    '---',
    table.tasks.map(() => '---:'),
  );
  const lines = [header, rule, row('pre-trained', table.pretrained.map(cell))];
  table.experts.forEach((scores, e) => {
    lines.push(
      row(
        `expert ${table.tasks[e]}`,
        scores.map((s, t) => (t === e ? `**${cell(s)}**` : cell(s))),
      ),
    );
  });
  return lines;
}

/** Checks of the targets the issue sets, one line each. */
function targetLines(table: SuiteTable): string[] {
  const own = table.experts.map((scores, e) => scores[e].accuracy);
  const pre = table.pretrained.map((s) => s.accuracy);
  const offDiagonal = table.experts.flatMap((scores, e) =>
    scores.filter((_, t) => t !== e).map((s) => s.accuracy),
  );
  const lowestOwnEntropy = table.tasks.filter((_, t) =>
    table.experts.every((scores, e) => e === t || scores[t].entropy > table.experts[t][t].entropy),
  );
  return [
    `- experts on their own task: ${pct(mean(own))}% vs pre-trained + heads ${pct(mean(pre))}%: +${(100 * (mean(own) - mean(pre))).toFixed(1)} points (target ≥ 10)`,
    `- experts on other tasks' heads: ${pct(mean(offDiagonal))}% on average (pre-trained: ${pct(mean(pre))}%)`,
    `- task arithmetic (λ = 0.3): ${pct(mean(table.taskArithmetic.map((s) => s.accuracy)))}% vs the experts' ${pct(mean(own))}%; weight average ${pct(mean(table.weightAverage.map((s) => s.accuracy)))}%`,
    `- expert t has the lowest mean entropy on task t for ${lowestOwnEntropy.length} of ${table.tasks.length} tasks${lowestOwnEntropy.length < table.tasks.length ? ` (not: ${table.tasks.filter((t) => !lowestOwnEntropy.includes(t)).join(', ')})` : ''}`,
  ];
}

/** The Markdown the README carries. */
export function formatSuiteTable(table: SuiteTable): string {
  const own = table.experts.map((scores, e) => scores[e]);
  const header = row('model', [...table.tasks, 'average']);
  const rule = row(
    '---',
    [...table.tasks, 'average'].map(() => '---:'),
  );
  return [
    `Test accuracy (%), ${table.counts.join('/')} test images per task, each task through its own linear head:`,
    '',
    header,
    rule,
    accuracyRow('pre-trained + linear heads', table.pretrained),
    accuracyRow('experts (each on its own task)', own),
    accuracyRow('task arithmetic (λ = 0.3)', table.taskArithmetic),
    accuracyRow('weight average of the experts', table.weightAverage),
    '',
    'Each expert (row) on every task (column), accuracy (%):',
    '',
    ...matrix(table, (s) => pct(s.accuracy), 'expert \\ task'),
    '',
    'Mean prediction entropy (nats) of each expert (row) on every task (column), through that task’s head:',
    '',
    ...matrix(table, (s) => s.entropy.toFixed(3), 'expert \\ task'),
    '',
    ...targetLines(table),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { limit: { type: 'string' }, models: { type: 'string' }, json: { type: 'string' } },
  });
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  const models = loadSuiteModels(values.models ?? suiteModelsDir());
  const sets = loadTestSets(suiteTasks(), limit);
  const began = performance.now();
  const table = await computeSuiteTable(models, sets, THREADS, (line) =>
    process.stderr.write(`[suite-table ${((performance.now() - began) / 1000).toFixed(0)}s] ${line}\n`),
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(table, null, 2)}\n`);
  process.stdout.write(`${formatSuiteTable(table)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
