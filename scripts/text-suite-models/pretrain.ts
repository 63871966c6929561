/**
 * Pre-training the text suite's T5 from scratch: each batch mixes span corruption of corpus texts
 * (T5's objective) with instruction examples — a seeded sample of each task's train rows posed through
 * the instruction templates (instructions.ts) — so that the model reads text and follows prompts
 * without having seen the built-in templates the experts and the evaluation use.
 */
import { createRandom, deriveSeed, shuffleInPlace } from '../../src/data/random.js';
import type { TextRow } from '../../src/data/text-rows.js';
import type { T5Config } from '../../src/models/t5/config.js';
import type { T5Params } from '../../src/models/t5/params.js';
import type { T5Tokenizer } from '../../src/models/tokenizers/t5.js';
import { INSTRUCTION_TEMPLATES } from './instructions.js';
import { initialT5Params, type Seq2SeqSettings, trainSeq2Seq } from './seq2seq.js';
import { type SpanCorruptionSettings, spanCorrupt } from './span-corruption.js';
import { TEXT_TASKS, type TokenExample, tokenExamples } from './tasks.js';
import { sentinelId } from './tokenizer.js';

export interface PretrainSettings extends Seq2SeqSettings {
  readonly instructionShare: number;
  readonly instructionRows: number;
}

/** Every instruction example: per task, `rows` sampled train rows under each of its templates. */
async function instructionExamples(
  tokenizer: T5Tokenizer,
  trainRows: ReadonlyMap<string, readonly TextRow[]>,
  rows: number,
  seed: number,
): Promise<TokenExample[][]> {
  const perTask: TokenExample[][] = [];
  for (const [t, task] of TEXT_TASKS.entries()) {
    const all = trainRows.get(task) ?? [];
    const sample = shuffleInPlace([...all], createRandom(deriveSeed(seed, t))).slice(0, rows);
    const examples: TokenExample[] = [];
    for (const template of INSTRUCTION_TEMPLATES[task])
      examples.push(...(await tokenExamples(tokenizer, task, sample, template)));
    perTask.push(examples);
  }
  return perTask;
}

export async function pretrainT5(
  config: T5Config,
  tokenizer: T5Tokenizer,
  corpus: readonly string[],
  trainRows: ReadonlyMap<string, readonly TextRow[]>,
  settings: PretrainSettings & { readonly spans: SpanCorruptionSettings; readonly sentinels: number },
  options: { seed: number; threads: number; log: (line: string) => void },
): Promise<T5Params> {
  const params = initialT5Params(config, deriveSeed(options.seed, 1));
  // Texts without `</s>`, cut to the source length (span corruption adds sentinels and `</s>` back).
  const texts = (await tokenizer.encode(corpus))
    .map((ids) => ids.slice(0, Math.min(ids.length - 1, settings.maxSourceTokens - 8)))
    .filter((ids) => ids.length >= 4);
  const instructions = await instructionExamples(
    tokenizer,
    trainRows,
    settings.instructionRows,
    deriveSeed(options.seed, 2),
  );
  const counts = instructions.map((e) => e.length).join(' / ');
  options.log(
    `pre-training data: ${texts.length} corpus texts for span corruption; instruction examples per task ${counts}`,
  );
  const sentinelIds = Array.from({ length: settings.sentinels }, (_, i) => sentinelId(config.vocabSize, i));
  const random = createRandom(deriveSeed(options.seed, 3));
  const instructed = Math.round(settings.batchSize * settings.instructionShare);
  await trainSeq2Seq(
    'pre-train (span corruption + instructions)',
    config,
    params,
    settings,
    () => {
      const batch: TokenExample[] = [];
      for (let i = 0; i < settings.batchSize - instructed; i++)
        batch.push(
          spanCorrupt(
            texts[random.int(texts.length)],
            random,
            sentinelIds,
            settings.spans,
            config.eosTokenId,
          ),
        );
      for (let i = 0; i < instructed; i++) {
        const task = instructions[random.int(instructions.length)];
        batch.push(task[random.int(task.length)]);
      }
      return batch;
    },
    options,
  );
  return params;
}
