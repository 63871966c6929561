/**
 * Can prediction entropy tell which expert an image needs? For every test image, every one-hot routing
 * (expert e's task vector in every MLP at λ 1, task arithmetic λ 0.3 elsewhere: a corner of WEMoE's
 * mixture) is scored on the image's own head. Per image, the corner of lowest entropy is what a router
 * minimising each image's entropy is drawn to (the paper's per-sample WEMoE); per batch of 16 images of
 * one task, the corner of lowest mean entropy is what a batch-reduced router is drawn to. Perfect routing
 * (e = the image's task) is the reference. Test images, no training.
 * Usage: tsx scripts/suite-entropy-oracle.ts [--models DIR] [--limit N] [--tasks a,b,...]
 */
import { parseArgs } from 'node:util';
import { suiteTasks } from '../src/data/suite.js';
import { loadSuiteModels, type SuiteModels, suiteModelsDir } from '../src/models/suite-models.js';
import { imageScores, loadTestSets, type TestSet } from './suite-models/evaluate.js';
import { featureRunner, poolerFeatures } from './suite-models/heads.js';
import { mergeWeighted } from './suite-models/merge-weighted.js';
import { THREADS } from './suite-models/settings.js';

const LAMBDA = 0.3;
const BATCH = 16;
const isMlp = (name: string) => name.includes('.mlp.');
const pct = (x: number) => (100 * x).toFixed(1);

/** Per task, per corner e: each image's entropy and correctness. */
interface CornerScores {
  readonly entropy: Float64Array[][];
  readonly correct: Uint8Array[][];
}

async function scoreCorners(models: SuiteModels, tasks: readonly string[], sets: readonly TestSet[]) {
  const scores: CornerScores = { entropy: tasks.map(() => []), correct: tasks.map(() => []) };
  for (const expert of tasks) {
    const params = mergeWeighted(models, (name, task) =>
      isMlp(name) ? (task === expert ? 1 : 0) : tasks.includes(task) ? LAMBDA : 0,
    );
    const runner = featureRunner(models.config, params, THREADS);
    try {
      for (const [t, set] of sets.entries()) {
        const pooler = await poolerFeatures(runner, set.images, set.count);
        const { entropy, correct } = imageScores(models.heads.tasks.get(set.task)!, pooler, set.labels);
        scores.entropy[t].push(entropy);
        scores.correct[t].push(correct);
      }
    } finally {
      await runner.dispose();
    }
    process.stderr.write(`scored the corner of expert ${expert}\n`);
  }
  return scores;
}

/** The corner of lowest summed entropy over images [start, end) of task t. */
function lowestEntropyCorner(scores: CornerScores, t: number, start: number, end: number): number {
  let best = 0;
  let bestSum = Number.POSITIVE_INFINITY;
  scores.entropy[t].forEach((entropy, e) => {
    let sum = 0;
    for (let i = start; i < end; i++) sum += entropy[i];
    if (sum < bestSum) [best, bestSum] = [e, sum];
  });
  return best;
}

/** Accuracy, and how often the task's own corner is picked, when groups of `size` images pick a corner. */
function pickBy(scores: CornerScores, t: number, count: number, size: number) {
  let correct = 0;
  let own = 0;
  for (let start = 0; start < count; start += size) {
    const end = Math.min(count, start + size);
    const e = lowestEntropyCorner(scores, t, start, end);
    for (let i = start; i < end; i++) correct += scores.correct[t][e][i];
    if (e === t) own += end - start;
  }
  return { accuracy: correct / count, own: own / count };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { models: { type: 'string' }, limit: { type: 'string' }, tasks: { type: 'string' } },
  });
  const tasks = values.tasks ? values.tasks.split(',') : suiteTasks();
  for (const task of tasks)
    if (!suiteTasks().includes(task))
      throw new Error(`--tasks: unknown task "${task}" (${suiteTasks().join(', ')})`);
  const models = loadSuiteModels(values.models ?? suiteModelsDir());
  const sets = loadTestSets(tasks, values.limit ? Number(values.limit) : undefined);
  const scores = await scoreCorners(models, tasks, sets);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(
    `One-hot routing corners picked by entropy, ${tasks.length} experts, test images per task: ${sets.map((s) => s.count).join('/')}`,
  );
  out();
  out(
    '| task | perfect routing | lowest entropy per image | … its own expert | lowest per batch of 16 | … its own expert |',
  );
  out('| --- | ---: | ---: | ---: | ---: | ---: |');
  const columns = [0, 0, 0, 0, 0];
  for (const [t, set] of sets.entries()) {
    const perfect = scores.correct[t][t].reduce((a, c) => a + c, 0) / set.count;
    const image = pickBy(scores, t, set.count, 1);
    const batch = pickBy(scores, t, set.count, BATCH);
    const row = [perfect, image.accuracy, image.own, batch.accuracy, batch.own];
    row.forEach((v, i) => {
      columns[i] += v / sets.length;
    });
    out(`| ${set.task} | ${row.map(pct).join(' | ')} |`);
  }
  out(`| average | ${columns.map(pct).join(' | ')} |`);
}

await main();
