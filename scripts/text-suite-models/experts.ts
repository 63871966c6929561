/**
 * The text suite's experts: the whole pre-trained T5 fine-tuned on one task's train split, posed through
 * the task's built-in template (src/models/t5/glue.ts) and answered with its label words, as FusionBench's
 * Flan-T5 experts were fine-tuned on GLUE.
 */
import { deriveSeed } from '../../src/data/random.js';
import type { TextRow } from '../../src/data/text-rows.js';
import type { T5Config } from '../../src/models/t5/config.js';
import { glueTask } from '../../src/models/t5/glue.js';
import type { T5Params } from '../../src/models/t5/params.js';
import type { T5Tokenizer } from '../../src/models/tokenizers/t5.js';
import { BatchSampler } from '../../src/tta/sampler.js';
import { cloneParams, type Seq2SeqSettings, trainSeq2Seq } from './seq2seq.js';
import { tokenExamples } from './tasks.js';

export async function fineTuneExpert(
  config: T5Config,
  pretrained: T5Params,
  tokenizer: T5Tokenizer,
  task: string,
  rows: readonly TextRow[],
  settings: Seq2SeqSettings,
  options: { seed: number; threads: number; log: (line: string) => void },
): Promise<{ params: T5Params; seconds: number }> {
  const params = cloneParams(pretrained);
  const examples = await tokenExamples(tokenizer, task, rows, glueTask(task).template);
  const sampler = new BatchSampler(examples.length, settings.batchSize, deriveSeed(options.seed, 1));
  const { seconds } = await trainSeq2Seq(
    `expert ${task}`,
    config,
    params,
    settings,
    () => sampler.next().map((i) => examples[i]),
    options,
  );
  return { params, seconds };
}
