/**
 * Why (or whether) the suite's models can show the WEMoE paper's result, measured rather than guessed:
 * 1. task arithmetic along λ: accuracy and mean prediction entropy (entropy minimisation helps only if
 *    lower entropy goes with higher accuracy);
 * 2. the size of the task vectors relative to the pre-trained weights, and one expert at a time along λ
 *    (θ0 + λ·τt: what its own task gains, what the other tasks lose; task arithmetic adds eight of these),
 *    then at λ 1 with τt in one parameter group only (where the learning and the interference sit);
 * 3. WEMoE's ceiling: every task through perfect routing (its own task vector in every MLP, task
 *    arithmetic elsewhere), the best a router can pick from the mixture's corners;
 * 4. depth-2 routers trained for a few steps with the entropy objective and, as a control, with the
 *    labels of the same test images (cross-entropy): if labels lift accuracy and entropy lowers it, the
 *    machinery works and the objective is what fails on these models. Router weight matrices train at
 *    lr × 768 / width, as in WEMoE's adaptation (routerLrScale).
 * Usage: tsx scripts/suite-diagnostics.ts [--models DIR] [--limit 300] [--steps 60] [--lr 1e-3]
 */
import { parseArgs } from 'node:util';
import { PAPER_ROUTER_WIDTH, routerLrScale } from '../src/adapt/wemoe.js';
import { suiteTasks } from '../src/data/suite.js';
import { evaluateModel } from '../src/eval/evaluate.js';
import { grad } from '../src/graph/autodiff.js';
import { logSoftmax, meanEntropy } from '../src/graph/functional.js';
import { Graph, type Value } from '../src/graph/graph.js';
import { headInputs } from '../src/models/head-logits.js';
import { loadSuiteModels, type SuiteModels, suiteModelsDir } from '../src/models/suite-models.js';
import { wemoeForward } from '../src/models/wemoe/graph.js';
import { upscaleToWemoe } from '../src/models/wemoe/model.js';
import { compile } from '../src/runtime/compile.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { runTta } from '../src/tta/loop.js';
import type { TtaObjective } from '../src/tta/objective.js';
import {
  evaluateEncoder,
  labeledTestImages,
  loadTestSets,
  type TaskScore,
  type TestSet,
} from './suite-models/evaluate.js';
import { mergeWeighted } from './suite-models/merge-weighted.js';
import { SEED, THREADS } from './suite-models/settings.js';
import { mergeByTaskArithmetic } from './suite-table.js';

const LAMBDA = 0.3;
const isMlp = (name: string) => name.includes('.mlp.');
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number) => (100 * x).toFixed(1);

async function lambdaPath(models: SuiteModels, sets: readonly TestSet[]): Promise<string[]> {
  const lines = ['| λ | accuracy (%) | mean entropy (nats) |', '| ---: | ---: | ---: |'];
  for (const lambda of [0, 0.1, 1 / models.experts.size, 0.2, 0.3, 0.4, 0.6]) {
    const scores = await evaluateEncoder(
      models.config,
      mergeByTaskArithmetic(models, lambda),
      models.heads,
      sets,
      THREADS,
    );
    const all = [...scores.values()];
    lines.push(
      `| ${lambda.toFixed(3)} | ${pct(mean(all.map((s) => s.accuracy)))} | ${mean(all.map((s) => s.entropy)).toFixed(3)} |`,
    );
  }
  return lines;
}

/** ‖τt‖ / ‖θ0‖ over all parameters, averaged over the experts. */
function relativeTaskVectorNorm(models: SuiteModels): number {
  let base = 0;
  for (const tensor of models.pretrained.values()) for (const v of tensor.data as Float32Array) base += v * v;
  const ratios = [...models.experts.values()].map((expert) => {
    let diff = 0;
    for (const [name, tensor] of models.pretrained) {
      const p = tensor.data as Float32Array;
      const e = expert.get(name)!.data as Float32Array;
      for (let i = 0; i < p.length; i++) diff += (e[i] - p[i]) ** 2;
    }
    return Math.sqrt(diff / base);
  });
  return mean(ratios);
}

/**
 * θ0 + λ·τt for each expert t alone, τt restricted to the parameters `inGroup` accepts: mean accuracy on
 * its own task and on the other tasks.
 */
async function singleExpert(
  models: SuiteModels,
  sets: readonly TestSet[],
  lambda: number,
  inGroup: (name: string) => boolean = () => true,
): Promise<{ own: number; others: number }> {
  const own: number[] = [];
  const others: number[] = [];
  for (const expert of models.experts.keys()) {
    const params = mergeWeighted(models, (name, task) => (task === expert && inGroup(name) ? lambda : 0));
    const scores = await evaluateEncoder(models.config, params, models.heads, sets, THREADS);
    for (const [task, score] of scores) (task === expert ? own : others).push(score.accuracy);
  }
  return { own: mean(own), others: mean(others) };
}

async function singleExpertPath(models: SuiteModels, sets: readonly TestSet[]): Promise<string[]> {
  const lines = ['| λ | own task (%) | other tasks (%) |', '| ---: | ---: | ---: |'];
  for (const lambda of [0.1, 0.3, 1]) {
    const { own, others } = await singleExpert(models, sets, lambda);
    lines.push(`| ${lambda} | ${pct(own)} | ${pct(others)} |`);
  }
  return lines;
}

/** Parameter groups of a CLIP vision encoder, by canonical name (HF spells the first LayerNorm "pre_layrnorm"). */
const PARAMETER_GROUPS: Record<string, (name: string) => boolean> = {
  MLPs: isMlp,
  attention: (name) => name.includes('.self_attn.'),
  LayerNorms: (name) => name.includes('norm'),
  embeddings: (name) => name.includes('.embeddings.'),
};

/** One expert at a time at λ 1, its task vector restricted to one parameter group. */
async function singleExpertByGroup(models: SuiteModels, sets: readonly TestSet[]): Promise<string[]> {
  const lines = ['| task vector in | own task (%) | other tasks (%) |', '| --- | ---: | ---: |'];
  for (const [group, inGroup] of Object.entries(PARAMETER_GROUPS)) {
    const { own, others } = await singleExpert(models, sets, 1, inGroup);
    lines.push(`| ${group} only | ${pct(own)} | ${pct(others)} |`);
  }
  return lines;
}

/** Per task: its own task vector in every MLP (weight 1, the others 0), task arithmetic elsewhere. */
async function perfectRouting(models: SuiteModels, sets: readonly TestSet[]): Promise<TaskScore[]> {
  const scores: TaskScore[] = [];
  for (const set of sets) {
    const params = mergeWeighted(models, (name, task) =>
      isMlp(name) ? (task === set.task ? 1 : 0) : LAMBDA,
    );
    const byTask = await evaluateEncoder(models.config, params, models.heads, [set], THREADS);
    scores.push(byTask.get(set.task)!);
  }
  return scores;
}

/** Mean accuracy and mean entropy, as "95.5% (0.123 nats)". */
const summary = (scores: readonly TaskScore[]) =>
  `${pct(mean(scores.map((s) => s.accuracy)))}% (${mean(scores.map((s) => s.entropy)).toFixed(3)} nats)`;

/**
 * Depth-2 routers trained by `loss` ('entropy', or 'labels': cross-entropy with the test labels, a control
 * that no real run may use); returns the mean accuracy and entropy before and after, on the same images.
 */
async function trainRouters(
  models: SuiteModels,
  limit: number,
  loss: 'entropy' | 'labels',
  steps: number,
  lr: number,
): Promise<{ before: string; after: string }> {
  const labelled = suiteTasks().map((t) => labeledTestImages(t, limit));
  const model = upscaleToWemoe(models.config, models.pretrained, models.experts, {
    routerDepth: 2,
    initLambda: LAMBDA,
    seed: SEED,
  });
  const graph = new Graph();
  const pixels = graph.input('pixel_values', 'F32', ['batch', 3, 32, 32]);
  const oneHot = graph.input('one_hot', 'F32', ['batch', 'classes']);
  const forward = wemoeForward(model, pixels, { trainableRouters: true });
  const { logits, feeds } = headInputs(models.heads, forward.poolerOutput);
  const objective =
    loss === 'entropy' ? meanEntropy(logits) : logSoftmax(logits, -1).mul(oneHot).sum(-1).mean().neg();
  const names = [...forward.routerInputs.keys()];
  const grads = grad(
    objective,
    names.map((n) => forward.routerInputs.get(n)!),
  );
  const outputs: Record<string, Value> = { loss: objective };
  names.forEach((n, i) => {
    outputs[`grad:${n}`] = grads[i];
  });
  const session = await compile(outputs, { externalData: 'inputs', arena: false, threads: THREADS });
  const params = Object.fromEntries(model.routers);
  // runTta hands the objective pixels only: each task's pixels() keeps the labels of the batch it drew.
  let batchLabels: number[] = [];
  const oneHotOf = (task: string): Tensor => {
    const k = models.heads.tasks.get(task)!.weight.shape[0];
    const data = new Float32Array(batchLabels.length * k);
    batchLabels.forEach((label, i) => {
      data[i * k + label] = 1;
    });
    return { dtype: 'F32', shape: [batchLabels.length, k], data };
  };
  const tta: TtaObjective = {
    params,
    lrScale: routerLrScale(model, PAPER_ROUTER_WIDTH),
    async lossAndGrads(task, batch) {
      const out = await session.run({
        pixel_values: batch,
        one_hot: oneHotOf(task),
        ...feeds(task),
        ...params,
      });
      return {
        loss: (out.loss.data as Float32Array)[0],
        grads: Object.fromEntries(names.map((n) => [n, out[`grad:${n}`]])),
      };
    },
  };
  const tasks = labelled.map((l) => ({
    name: l.task,
    count: l.count,
    pixels: (indices: readonly number[]) => {
      batchLabels = indices.map((i) => l.labels[i]);
      return l.pixels(indices);
    },
  }));
  const scores = async () => {
    const evaluation = await evaluateModel({ kind: 'wemoe', model }, models.heads, labelled, {
      threads: THREADS,
      progress: 'none',
    });
    return summary(
      labelled.map((l) => ({
        accuracy: evaluation.perTask[l.task].accuracy,
        entropy: evaluation.entropy[l.task],
      })),
    );
  };
  const before = await scores();
  try {
    await runTta(tasks, tta, {
      steps,
      lr,
      schedule: 'constant',
      batchSize: 16,
      seed: SEED,
      progress: 'none',
    });
  } finally {
    await session.dispose();
  }
  return { before, after: await scores() };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      limit: { type: 'string' },
      steps: { type: 'string' },
      lr: { type: 'string' },
    },
  });
  const limit = Number(values.limit ?? 300);
  const steps = Number(values.steps ?? 60);
  const lr = Number(values.lr ?? 1e-3);
  const models = loadSuiteModels(values.models ?? suiteModelsDir());
  const sets = loadTestSets(suiteTasks(), limit);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`Suite diagnostics: ${values.models ?? suiteModelsDir()}, the first ${limit} test images per task`);
  out();
  out('Task arithmetic along λ (λ = 1/T is the weight average):');
  out();
  for (const line of await lambdaPath(models, sets)) out(line);
  out();
  out(`Task vectors: ‖τt‖ / ‖θ0‖ = ${relativeTaskVectorNorm(models).toFixed(3)} on average over the experts`);
  out();
  out('One expert at a time, θ0 + λ·τt, averaged over the experts (λ 0: the first row above):');
  out();
  for (const line of await singleExpertPath(models, sets)) out(line);
  out();
  out('The same at λ 1 with the task vector in one parameter group only (the rest pre-trained):');
  out();
  for (const line of await singleExpertByGroup(models, sets)) out(line);
  out();
  const experts = await Promise.all(
    sets.map(
      async (set) =>
        (
          await evaluateEncoder(models.config, models.experts.get(set.task)!, models.heads, [set], THREADS)
        ).get(set.task)!,
    ),
  );
  const ceiling = await perfectRouting(models, sets);
  out(`Experts on their own task: ${summary(experts)}`);
  out(
    `WEMoE ceiling (perfect routing: own task vector in every MLP, task arithmetic λ ${LAMBDA} elsewhere): ${summary(ceiling)}`,
  );
  out(`  per task: ${sets.map((s, i) => `${s.task} ${pct(ceiling[i].accuracy)}`).join(', ')}`);
  for (const loss of ['entropy', 'labels'] as const) {
    const { before, after } = await trainRouters(models, Math.min(limit, 200), loss, steps, lr);
    const objective = loss === 'entropy' ? 'prediction entropy' : 'the labels (control)';
    out(
      `Depth-2 routers trained on ${objective} (${steps} steps of 16 images per task, lr ${lr}, weight matrices × ${PAPER_ROUTER_WIDTH} / ${models.config.hiddenSize}, constant): ${before} → ${after}`,
    );
  }
}

await main();
