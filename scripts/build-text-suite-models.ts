/**
 * Builds the built-in text suite's models with the project's own engine (`npm run build:text-suite-models`):
 * 1. tokenizer.json: a T5-style SentencePiece Unigram vocabulary trained on the suite's corpus;
 * 2. pretrained/: a tiny T5 (v1.1 shape) pre-trained from scratch by span corruption on the corpus mixed
 *    with a Flan-like instruction mixture (the tasks posed through templates of their own);
 * 3. <task>/: per task the whole model fine-tuned on its train split with the built-in template;
 * 4. build-results.json: the pre-trained model on every task and each expert on its own, measured by
 *    wemoe's text evaluation, with the run times and load averages (the README's numbers).
 * Deterministic (seeded); a stage whose outputs exist is skipped unless --force, so an interrupted build
 * resumes. Needs the suite's data (`npm run build:text-suite-data`). Usage: [--force] [--data DIR] [--out DIR].
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deriveSeed } from '../src/data/random.js';
import type { TextRow } from '../src/data/text-rows.js';
import { WemoeError } from '../src/errors.js';
import { writeJsonAtomic } from '../src/io/json-file.js';
import { loadT5, saveT5 } from '../src/models/t5/checkpoint.js';
import { GLUE_TASKS } from '../src/models/t5/glue.js';
import type { T5Params } from '../src/models/t5/params.js';
import { T5Tokenizer, TOKENIZER_FILE } from '../src/models/tokenizers/t5.js';
import { corpusTexts } from './text-suite-models/corpus.js';
import { evaluateModel } from './text-suite-models/evaluate.js';
import { fineTuneExpert } from './text-suite-models/experts.js';
import { INSTRUCTION_TEMPLATES } from './text-suite-models/instructions.js';
import { pretrainT5 } from './text-suite-models/pretrain.js';
import {
  TEXT_SUITE_T5_CONFIG as config,
  EVAL_BATCH,
  EXPERT,
  MAX_SOURCE_TOKENS,
  PRETRAIN,
  SEED,
  SENTINELS,
  SPAN_CORRUPTION,
  STORED_DTYPE,
  THREADS,
  TOKENIZER_CORPUS_STRIDE,
  VOCAB_SIZE,
} from './text-suite-models/settings.js';
import { readTaskRows, TEXT_TASKS } from './text-suite-models/tasks.js';
import { buildTokenizerJson, tokenizerConfigFiles } from './text-suite-models/tokenizer.js';

const began = performance.now();
const elapsed = () => (performance.now() - began) / 1000;
const log = (line: string) => {
  process.stdout.write(`[build-text-suite-models ${elapsed().toFixed(0).padStart(5)}s] ${line}\n`);
};
const load = () => loadavg().map((l) => Number(l.toFixed(2)));

const done = (dir: string) => existsSync(join(dir, 'model.safetensors'));

/**
 * Text the tokenizer learns from: every `TOKENIZER_CORPUS_STRIDE`-th corpus text (the trainer's time
 * grows with its input), and every prompt template and label word.
 */
function tokenizerLines(corpus: readonly string[]): string[] {
  const prompts = TEXT_TASKS.flatMap((task) =>
    [GLUE_TASKS[task].template, ...INSTRUCTION_TEMPLATES[task]].map((t) => t.replace(/\{\w+\}/g, '')),
  );
  const sample = corpus.filter((_, i) => i % TOKENIZER_CORPUS_STRIDE === 0);
  // Templates repeated so that their words are pieces of their own.
  return [...sample, ...Array.from({ length: 20 }, () => prompts).flat()];
}

/** The label words of the classification tasks. */
function labelWords(): string[] {
  return [...new Set(TEXT_TASKS.flatMap((task) => GLUE_TASKS[task].labels ?? []))];
}

function saveModel(dir: string, params: T5Params, tokenizerJson: string): void {
  mkdirSync(dir, { recursive: true });
  saveT5(dir, { config, params }, { dtype: STORED_DTYPE });
  writeFileSync(join(dir, TOKENIZER_FILE), tokenizerJson);
  for (const [file, json] of Object.entries(tokenizerConfigFiles(SENTINELS)))
    writeJsonAtomic(join(dir, file), json);
}

interface BuildResults {
  pretrained: Record<string, number>;
  experts: Record<string, number>;
  seconds: Record<string, number>;
  loadAverage: Record<string, number[]>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { force: { type: 'boolean' }, data: { type: 'string' }, out: { type: 'string' } },
  });
  const dataDir = values.data ?? join('assets', 'text-suite');
  const root = values.out ?? join(dataDir, 'models');
  mkdirSync(root, { recursive: true });
  const trainRows = new Map<string, TextRow[]>(TEXT_TASKS.map((t) => [t, readTaskRows(dataDir, t, 'train')]));
  const corpus = corpusTexts();
  log(
    `corpus: ${corpus.length} texts; train rows ${TEXT_TASKS.map((t) => trainRows.get(t)!.length).join(' / ')}`,
  );
  const resultsFile = join(root, 'build-results.json');
  const results: BuildResults = existsSync(resultsFile)
    ? JSON.parse(readFileSync(resultsFile, 'utf8'))
    : { pretrained: {}, experts: {}, seconds: {}, loadAverage: {} };
  const record = (stage: string, seconds: number) => {
    results.seconds[stage] = Math.round(seconds);
    results.loadAverage[stage] = load();
    writeJsonAtomic(resultsFile, results);
  };
  // A rebuilt stage invalidates every stage after it.
  let rebuild = values.force ?? false;
  const pretrainedDir = join(root, 'pretrained');
  const tokenizerPath = join(pretrainedDir, TOKENIZER_FILE);
  let tokenizerJson: string;
  if (!rebuild && existsSync(tokenizerPath)) {
    log(`tokenizer exists, skipped (${tokenizerPath})`);
    tokenizerJson = readFileSync(tokenizerPath, 'utf8');
  } else {
    const start = elapsed();
    tokenizerJson = buildTokenizerJson(tokenizerLines(corpus), {
      vocabSize: VOCAB_SIZE,
      sentinels: SENTINELS,
      wholeWords: labelWords(),
    });
    mkdirSync(pretrainedDir, { recursive: true });
    writeFileSync(tokenizerPath, tokenizerJson);
    record('tokenizer', elapsed() - start);
    log(`wrote ${tokenizerPath}`);
    rebuild = true;
  }
  const tokenizer = T5Tokenizer.fromJson(tokenizerJson, tokenizerPath, { maxLength: MAX_SOURCE_TOKENS });
  if (rebuild || !done(pretrainedDir)) {
    const start = elapsed();
    const params = await pretrainT5(
      config,
      tokenizer,
      corpus,
      trainRows,
      { ...PRETRAIN, spans: SPAN_CORRUPTION, sentinels: SENTINELS },
      { seed: deriveSeed(SEED, 1), threads: THREADS, log },
    );
    saveModel(pretrainedDir, params, tokenizerJson);
    record('pretrain', elapsed() - start);
    log(`wrote ${pretrainedDir}`);
    rebuild = true;
  } else log(`pre-trained model exists, skipped (${pretrainedDir})`);
  // Experts start from the stored (F16-rounded) weights that users load.
  const pretrained = loadT5(pretrainedDir).params;
  for (const [t, task] of TEXT_TASKS.entries()) {
    const dir = join(root, task);
    if (!rebuild && done(dir)) {
      log(`expert ${task} exists, skipped`);
      continue;
    }
    const { params, seconds } = await fineTuneExpert(
      config,
      pretrained,
      tokenizer,
      task,
      trainRows.get(task)!,
      EXPERT,
      { seed: deriveSeed(SEED, 100 + t), threads: THREADS, log },
    );
    saveModel(dir, params, tokenizerJson);
    record(`expert ${task}`, seconds);
    log(`wrote ${dir}`);
  }
  const start = elapsed();
  const evalOptions = { batchSize: EVAL_BATCH, threads: THREADS };
  results.pretrained = await evaluateModel(pretrainedDir, dataDir, TEXT_TASKS, evalOptions);
  for (const task of TEXT_TASKS)
    results.experts[task] = (await evaluateModel(join(root, task), dataDir, [task], evalOptions))[task];
  record('evaluate', elapsed() - start);
  for (const task of TEXT_TASKS) {
    const [p, e] = [results.pretrained[task], results.experts[task]].map((v) => (100 * v).toFixed(1));
    log(`${task.padEnd(5)} pre-trained ${p.padStart(5)}  expert ${e.padStart(5)}`);
  }
  log(`wrote ${resultsFile}; done`);
}

try {
  await main();
} catch (error) {
  if (!(error instanceof WemoeError)) throw error;
  console.error(`build-text-suite-models: ${error.message}`);
  process.exitCode = 1;
}
