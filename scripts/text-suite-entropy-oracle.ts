/**
 * Can the test-time entropy tell which expert a text task needs? The text suite's counterpart of
 * scripts/suite-entropy-oracle.ts. For every expert e, the corner of WEMoE's mixture that routes every
 * feed-forward module to e (θ0 + τe there, task arithmetic λ 0.3 elsewhere) is scored on every task: its
 * accuracy (greedy generation, wemoe's text evaluation; Spearman's ρ for STS-B) and the test-time
 * objective on the task's prompts — FusionBench's (entropy of the batch-mean first-step softmax, the
 * decoder fed `</s>`, batches of 16) and the mean per-sample entropy. Perfect routing (e = the task)
 * is the ceiling of WEMoE on the shared weights; the corner of lowest objective is where a router that
 * minimises it is drawn to. Test prompts, no training.
 * `--decoder-token 0` feeds the decoder start token instead (what generation starts from).
 * Usage: tsx scripts/text-suite-entropy-oracle.ts [--root DIR] [--limit N] [--decoder-token ID]
 */
import { parseArgs } from 'node:util';
import { loadTextSuite, type TextDemoSuite } from '../src/demo/text-suite.js';
import { meanPredictionEntropy } from '../src/eval/metrics.js';
import { scoreTextTasks } from '../src/eval/text-eval.js';
import { formatPrompt } from '../src/models/t5/glue.js';
import { FUSIONBENCH_TTA_TOKEN } from '../src/models/t5/objective.js';
import type { T5Params } from '../src/models/t5/params.js';
import { T5Runner } from '../src/models/t5/runner.js';
import type { TokenBatch } from '../src/models/tokenizers/t5.js';
import { taskArithmetic } from '../src/tensor/task-arithmetic.js';
import type { Tensor } from '../src/tensor/tensor.js';

const LAMBDA = 0.3;
/** FusionBench's test-time batch. */
const BATCH = 16;
const THREADS = 2;
const isFeedForward = (name: string) => name.includes('.DenseReluDense.');

/** Task arithmetic (λ 0.3) of every parameter: the shared weights of every corner. */
function taskArithmeticParams(suite: TextDemoSuite): T5Params {
  const experts = [...suite.experts.values()];
  return new Map(
    [...suite.pretrained.params].map(([name, t]) => {
      const tensors = experts.map((e) => e.get(name)!.data as Float32Array);
      return [name, { ...t, data: taskArithmetic(t.data as Float32Array, tensors, LAMBDA) }];
    }),
  );
}

/** `merged` with every feed-forward module taken from expert `corner` (unchanged when null). */
function cornerParams(suite: TextDemoSuite, merged: T5Params, corner: string | null): T5Params {
  if (corner === null) return merged;
  const expert = suite.experts.get(corner)!;
  return new Map([...merged].map(([name, t]) => [name, isFeedForward(name) ? expert.get(name)! : t]));
}

/**
 * FusionBench's objective averaged over batches of BATCH prompts (the entropy of each batch's mean
 * logits; FusionBench adds 1e-8 inside the log, which moves none of these figures), and the mean
 * per-sample entropy, from first-step logits [n, 1, V].
 */
function objectives(logits: Tensor): { batchMean: number; perSample: number } {
  const [n, , vocab] = logits.shape;
  const data = logits.data as Float32Array;
  const batches = Math.ceil(n / BATCH);
  const means = new Float32Array(batches * vocab);
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / BATCH);
    const size = Math.min(BATCH, n - b * BATCH);
    for (let v = 0; v < vocab; v++) means[b * vocab + v] += data[i * vocab + v] / size;
  }
  return {
    batchMean: meanPredictionEntropy(means, batches, vocab),
    perSample: meanPredictionEntropy(data, n, vocab),
  };
}

interface CornerScore {
  readonly accuracy: number;
  readonly batchMean: number;
  readonly perSample: number;
}

/** Per task, the corner's accuracy and objectives; `prompts` holds each task's tokenized prompts. */
async function scoreCorner(
  suite: TextDemoSuite,
  params: T5Params,
  prompts: readonly TokenBatch[],
  decoderToken: number,
): Promise<Map<string, CornerScore>> {
  const runner = T5Runner.create({ config: suite.pretrained.config, params }, { threads: THREADS });
  try {
    const scores = await scoreTextTasks(runner, suite.tokenizer, suite.tasks, {
      batchSize: 64,
      progress: 'none',
    });
    const out = new Map<string, CornerScore>();
    for (const [t, { name }] of suite.tasks.entries()) {
      const { inputIds, attentionMask } = prompts[t];
      const n = inputIds.shape[0];
      const decoderInputIds: Tensor = {
        dtype: 'I64',
        shape: [n, 1],
        data: new BigInt64Array(n).fill(BigInt(decoderToken)),
      };
      const { logits } = await runner.forward(inputIds, attentionMask, decoderInputIds);
      out.set(name, { accuracy: scores.perTask[name].accuracy, ...objectives(logits) });
    }
    return out;
  } finally {
    await runner.dispose();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { root: { type: 'string' }, limit: { type: 'string' }, 'decoder-token': { type: 'string' } },
  });
  const token = Number(values['decoder-token'] ?? FUSIONBENCH_TTA_TOKEN);
  const suite = await loadTextSuite({ root: values.root, limit: values.limit ? Number(values.limit) : 128 });
  const names = suite.tasks.map((t) => t.name);
  const merged = taskArithmeticParams(suite);
  const prompts: TokenBatch[] = [];
  for (const { task, rows } of suite.tasks)
    prompts.push(await suite.tokenizer.batch(rows.map((row) => formatPrompt(task.template, row))));
  const score = (corner: string | null) =>
    scoreCorner(suite, cornerParams(suite, merged, corner), prompts, token);
  const taskArithmeticScores = await score(null);
  const corners = new Map<string, Map<string, CornerScore>>();
  for (const corner of names) {
    corners.set(corner, await score(corner));
    process.stderr.write(`scored the corner of expert ${corner}\n`);
  }
  const lowest = (task: string, key: 'batchMean' | 'perSample') =>
    names.reduce((best, e) =>
      corners.get(e)!.get(task)![key] < corners.get(best)!.get(task)![key] ? e : best,
    );
  const pct = (x: number) => (100 * x).toFixed(1);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`Feed-forward corners of the text suite's WEMoE, ${suite.tasks[0].rows.length} test prompts per task`);
  out();
  out(
    '| task | task arithmetic | perfect routing | lowest batch-mean objective: corner | its score | lowest per-sample entropy: corner | its score |',
  );
  out('| --- | ---: | ---: | --- | ---: | --- | ---: |');
  const sums = [0, 0, 0, 0];
  for (const task of names) {
    const byBatch = lowest(task, 'batchMean');
    const bySample = lowest(task, 'perSample');
    const row = [
      taskArithmeticScores.get(task)!.accuracy,
      corners.get(task)!.get(task)!.accuracy,
      corners.get(byBatch)!.get(task)!.accuracy,
      corners.get(bySample)!.get(task)!.accuracy,
    ];
    row.forEach((v, i) => {
      sums[i] += v / names.length;
    });
    out(
      `| ${task} | ${pct(row[0])} | ${pct(row[1])} | ${byBatch} | ${pct(row[2])} | ${bySample} | ${pct(row[3])} |`,
    );
  }
  out(`| average | ${pct(sums[0])} | ${pct(sums[1])} | | ${pct(sums[2])} | | ${pct(sums[3])} |`);
  out();
  out(`The batch-mean objective (decoder fed token ${token}) of each corner (rows) on each task (columns):`);
  out(`| corner | ${names.join(' | ')} |`);
  out(`| --- | ${names.map(() => '---:').join(' | ')} |`);
  for (const [label, scores] of [['task arithmetic', taskArithmeticScores] as const, ...corners])
    out(`| ${label} | ${names.map((t) => scores.get(t)!.batchMean.toFixed(3)).join(' | ')} |`);
}

await main();
