/**
 * The test-time objective shared by AdaMerging and WEMoE: for a batch of unlabeled images of one task,
 * the mean prediction entropy of that task's head, and its gradients with respect to the trained
 * parameters. One compiled graph serves every task (the heads are graph inputs).
 */

import { meanEntropy } from '../graph/functional.js';
import { namedGradients } from '../graph/gradient-outputs.js';
import { Graph, type Value } from '../graph/graph.js';
import { headInputs } from '../models/head-logits.js';
import type { Heads } from '../models/heads.js';
import { compile } from '../runtime/compile.js';
import type { CompileOptions } from '../runtime/options.js';
import type { Tensor } from '../tensor/tensor.js';

export interface TtaObjective {
  /** The trained parameters by name; the optimizer updates them in place. */
  readonly params: Record<string, Tensor>;
  /** Per-parameter multipliers of the learning rate, by name (absent: 1). */
  readonly lrScale?: Readonly<Record<string, number>>;
  lossAndGrads(task: string, pixels: Tensor): Promise<{ loss: number; grads: Record<string, Tensor> }>;
  /** Runs after every optimizer step (for example AdaMerging's clamp to [0, 1]). */
  afterStep?(): void;
}

/** Builds the encoder on `pixels`; returns pooler_output and the trained parameters' graph inputs by name. */
export type EncoderBuilder = (pixels: Value) => { pooler: Value; trainable: ReadonlyMap<string, Value> };

/** An objective that holds a compiled session: dispose of it when adaptation is over. */
export interface DisposableObjective extends TtaObjective {
  /** Frees the session's native memory now rather than whenever the garbage collector gets to it. */
  dispose(): Promise<void>;
}

/** `params` must hold a tensor for each trainable input the builder makes (same names). */
export async function entropyObjective(
  build: EncoderBuilder,
  params: Record<string, Tensor>,
  heads: Heads,
  imageShape: readonly [number, number, number],
  options: CompileOptions = {},
): Promise<DisposableObjective> {
  const graph = new Graph();
  const pixels = graph.input('pixel_values', 'F32', ['batch', ...imageShape]);
  const { pooler, trainable } = build(pixels);
  const { logits, feeds } = headInputs(heads, pooler);
  const loss = meanEntropy(logits);
  const outputs: Record<string, Value> = { loss, ...namedGradients(loss, trainable, 'grad:') };
  // Frozen constants are bound graph inputs: ORT reads the model's own arrays (no session copies). Without
  // the arena, the activations kept for the backward pass are freed after each task's run.
  const session = await compile(outputs, { externalData: 'inputs', arena: false, ...options });
  return {
    params,
    async lossAndGrads(task, batch) {
      const out = await session.run({ pixel_values: batch, ...feeds(task), ...params });
      const g: Record<string, Tensor> = {};
      for (const n of trainable.keys()) g[n] = out[`grad:${n}`];
      return { loss: (out.loss.data as Float32Array)[0], grads: g };
    },
    dispose: () => session.dispose(),
  };
}
