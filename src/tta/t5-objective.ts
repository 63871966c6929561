/**
 * The test-time objective on T5 for the shared loop: a batch is input_ids I64 [B, S], right-padded with the
 * pad id (T5's tokenizer never emits it inside a text, so the padding mask is ids ≠ pad, as Hugging Face's
 * generate infers it); the loss is the first-step entropy of models/t5/objective.ts, FusionBench's by
 * default. One compiled graph serves every task (label tokens, when used, are a graph input).
 */

import { WemoeError } from '../errors.js';
import { namedGradients } from '../graph/gradient-outputs.js';
import { Graph, type Value } from '../graph/graph.js';
import type { T5Config } from '../models/t5/config.js';
import { encoderPositionFeeds } from '../models/t5/feeds.js';
import type { T5EncoderInputs } from '../models/t5/model.js';
import { type T5EntropyKind, t5Entropy } from '../models/t5/objective.js';
import { compile } from '../runtime/compile.js';
import type { CompileOptions } from '../runtime/options.js';
import type { Tensor } from '../tensor/tensor.js';
import type { DisposableObjective } from './objective.js';

/** Builds first-step logits [B, V] on the encoder inputs; returns them and the trained parameters' inputs. */
export type T5LogitsBuilder = (inputs: T5EncoderInputs) => {
  logits: Value;
  trainable: ReadonlyMap<string, Value>;
};

export interface T5ObjectiveOptions {
  /** Default 'batch-mean' (FusionBench's). */
  readonly kind?: T5EntropyKind;
  /** For 'labels': each task's label words' first token ids. */
  readonly labelTokens?: Readonly<Record<string, readonly number[]>>;
}

/** The 0/1 mask of ids ≠ pad. */
export function maskOfPadded(ids: Tensor, padId: number): Tensor {
  const pad = BigInt(padId);
  return {
    dtype: 'I64',
    shape: ids.shape,
    data: (ids.data as BigInt64Array).map((id) => (id === pad ? 0n : 1n)),
  };
}

/** `params` must hold a tensor for each trainable input the builder makes (same names). */
export async function t5EntropyObjective(
  config: T5Config,
  build: T5LogitsBuilder,
  params: Record<string, Tensor>,
  { kind = 'batch-mean', labelTokens = {} }: T5ObjectiveOptions = {},
  compileOptions: CompileOptions = {},
): Promise<DisposableObjective> {
  const g = new Graph();
  const inputs = {
    inputIds: g.input('input_ids', 'I64', ['batch', 'src']),
    attentionMask: g.input('attention_mask', 'I64', ['batch', 'src']),
    buckets: g.input('encoder_buckets', 'I64', ['src', 'src']),
  };
  const { logits, trainable } = build(inputs);
  const labels = kind === 'labels' ? g.input('label_tokens', 'I64', ['labels']) : undefined;
  const loss = t5Entropy(logits, kind, labels);
  const outputs: Record<string, Value> = { loss, ...namedGradients(loss, trainable, 'grad:') };
  const session = await compile(outputs, { externalData: 'inputs', arena: false, ...compileOptions });
  const labelFeed = (task: string): Record<string, Tensor> => {
    if (!labels) return {};
    const tokens = labelTokens[task];
    if (!tokens?.length) throw new WemoeError(`t5 objective: no label tokens for task ${task}`);
    return {
      label_tokens: { dtype: 'I64', shape: [tokens.length], data: BigInt64Array.from(tokens.map(BigInt)) },
    };
  };
  return {
    params,
    async lossAndGrads(task, ids) {
      const out = await session.run({
        input_ids: ids,
        attention_mask: maskOfPadded(ids, config.padTokenId),
        ...encoderPositionFeeds(config, ids.shape[1]),
        ...labelFeed(task),
        ...params,
      });
      const gr: Record<string, Tensor> = {};
      for (const n of trainable.keys()) gr[n] = out[`grad:${n}`];
      return { loss: (out.loss.data as Float32Array)[0], grads: gr };
    },
    dispose: () => session.dispose(),
  };
}
