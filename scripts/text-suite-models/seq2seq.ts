/**
 * Training T5 on token examples with the shared loop (AdamW, warm-up + cosine, clipping, progress lines):
 * each step draws a batch from `draw`, pads it, and runs one loss-and-gradients graph. Long sources are
 * cut to `maxSourceTokens` (`</s>` kept last), as Hugging Face's truncation does.
 */
import { createRandom } from '../../src/data/random.js';
import type { T5Config } from '../../src/models/t5/config.js';
import type { T5Params } from '../../src/models/t5/params.js';
import { randomT5Params } from '../../src/models/t5/params.js';
import { countCorrectTokens, T5Trainer, teacherForcingBatch } from '../../src/models/t5/training.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { type TrainSettings, train } from '../suite-models/train-loop.js';
import type { TokenExample } from './tasks.js';

export interface Seq2SeqSettings extends TrainSettings {
  readonly batchSize: number;
  readonly maxSourceTokens: number;
}

/** A deep copy (the optimizer updates in place; the starting weights stay untouched). */
export function cloneParams(params: T5Params): T5Params {
  return new Map([...params].map(([n, t]) => [n, { ...t, data: Float32Array.from(t.data as Float32Array) }]));
}

/**
 * Hugging Face's T5 init (`_init_weights`, factor 1): the shared embedding N(0, 1), layer norms 1, the
 * attention and feed-forward weights at randomT5Params' scales, the position-bias tables N(0, D^-½).
 */
export function initialT5Params(config: T5Config, seed: number): T5Params {
  const params = randomT5Params(config, seed);
  const random = createRandom(seed ^ 0x5eed);
  for (const [name, t] of params) {
    const data = t.data as Float32Array;
    if (name.endsWith('layer_norm.weight')) data.fill(1);
    else if (name.endsWith('relative_attention_bias.weight'))
      for (let i = 0; i < data.length; i++) data[i] = config.dModel ** -0.5 * random.normal();
  }
  return params;
}

function truncate(ids: readonly number[], max: number): readonly number[] {
  return ids.length > max ? [...ids.slice(0, max - 1), ids[ids.length - 1]] : ids;
}

/** Trains `params` in place for `settings.steps` steps; returns the final windowed loss and seconds. */
export async function trainSeq2Seq(
  label: string,
  config: T5Config,
  params: T5Params,
  settings: Seq2SeqSettings,
  draw: (step: number) => readonly TokenExample[],
  options: { threads: number; log: (line: string) => void },
): Promise<{ finalLoss: number; seconds: number }> {
  const trainer = await T5Trainer.create(config, { threads: options.threads });
  const trained: Record<string, Tensor> = Object.fromEntries(params);
  try {
    return await train(
      label,
      trained,
      settings,
      async (step) => {
        const examples = draw(step);
        const batch = teacherForcingBatch(
          config,
          examples.map((e) => truncate(e.source, settings.maxSourceTokens)),
          examples.map((e) => e.target),
        );
        const out = await trainer.step(params, batch);
        const tokens = countCorrectTokens(
          out.logits,
          batch.labels,
          examples.map((e) => e.target.length),
        );
        return { loss: out.loss, correct: tokens.correct, batchSize: tokens.total, grads: out.grads };
      },
      options.log,
    );
  } finally {
    await trainer.dispose();
  }
}
