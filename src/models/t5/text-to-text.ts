/**
 * Text-to-text classification with T5, two ways: greedy generation compared as text with the label words
 * (what FusionBench measures), and the exact, cheaper label scoring — the log-probability of each label's
 * tokens (with `</s>`) under teacher forcing, best label taken — which needs one encoder pass and one
 * decoder pass per label instead of a decoding loop.
 */
import { WemoeError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { T5Tokenizer, TokenBatch } from '../tokenizers/t5.js';
import type { T5Runner } from './runner.js';

/** Greedy answers of the prompts, decoded with special tokens skipped. */
export async function generateAnswers(
  runner: T5Runner,
  tokenizer: T5Tokenizer,
  prompts: readonly string[],
  options: { maxNewTokens?: number } = {},
): Promise<string[]> {
  const batch = await tokenizer.batch(prompts);
  const ids = await runner.generate(batch.inputIds, batch.attentionMask, options);
  return tokenizer.decode(ids);
}

/** The class whose label text the answer equals exactly; -1 when none does (counted wrong). */
export function matchLabel(answer: string, labels: readonly string[]): number {
  return labels.indexOf(answer);
}

/** Σ log p(token) of `target`'s positions in logits [1.., Q, V] of one row (float64 log-softmax). */
function sequenceLogProb(
  logits: Float32Array,
  row: number,
  target: readonly number[],
  vocab: number,
): number {
  let total = 0;
  target.forEach((token, i) => {
    const at = (row * target.length + i) * vocab;
    const scores = logits.subarray(at, at + vocab);
    let max = Number.NEGATIVE_INFINITY;
    for (const s of scores) max = Math.max(max, s);
    let sum = 0;
    for (const s of scores) sum += Math.exp(s - max);
    total += scores[token] - max - Math.log(sum);
  });
  return total;
}

/**
 * log p(label | prompt) [B][L] of each label's token ids (as the tokenizer gives them, `</s>` last), by
 * teacher forcing: the decoder sees the start token then the label's tokens but the last.
 */
export async function labelLogProbs(
  runner: T5Runner,
  batch: TokenBatch,
  labelIds: readonly (readonly number[])[],
): Promise<number[][]> {
  const start = runner.config.decoderStartTokenId;
  const rows = batch.inputIds.shape[0];
  const encoded = await runner.forward(batch.inputIds, batch.attentionMask);
  const scores = Array.from({ length: rows }, () => new Array<number>(labelIds.length));
  for (const [l, target] of labelIds.entries()) {
    if (target.length === 0) throw new WemoeError(`label ${l}: has no tokens`);
    const prefix = [start, ...target.slice(0, -1)];
    const decoderIds: Tensor = {
      dtype: 'I64',
      shape: [rows, prefix.length],
      data: BigInt64Array.from(
        Array.from({ length: rows }, () => prefix)
          .flat()
          .map(BigInt),
      ),
    };
    const logits = await runner.decode(encoded.encoder_last_hidden_state, batch.attentionMask, decoderIds);
    for (let b = 0; b < rows; b++)
      scores[b][l] = sequenceLogProb(logits.data as Float32Array, b, target, runner.config.vocabSize);
  }
  return scores;
}

/** The best-scoring label of each prompt (the first on ties). */
export async function classifyByScoring(
  runner: T5Runner,
  tokenizer: T5Tokenizer,
  prompts: readonly string[],
  labels: readonly string[],
): Promise<number[]> {
  const scores = await labelLogProbs(runner, await tokenizer.batch(prompts), await tokenizer.encode(labels));
  return scores.map((row) => row.reduce((best, s, l) => (s > row[best] ? l : best), 0));
}
