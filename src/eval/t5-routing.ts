/**
 * The paper's routing analysis on a WEMoE T5 model: the mean routing weight of each expert over each
 * task's test prompts, per block, for the encoder's and the decoder's feed-forward routers (the decoder
 * routed at its first step, where the answer's first token is chosen).
 */

import { compileT5WemoeRouted } from '../models/t5/forward-file.js';
import type { T5WemoeModel } from '../models/t5/wemoe.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TtaTask } from '../tta/loop.js';
import type { RoutingSummary } from './report-types.js';

export interface T5Routing {
  readonly encoder: RoutingSummary;
  readonly decoder: RoutingSummary;
}

/** Sums [L, B, T] over B into `sums[l][t]`. */
function addOverBatch(sums: number[][], weights: Tensor): void {
  const [layers, batch, experts] = weights.shape;
  const data = weights.data as Float32Array;
  for (let l = 0; l < layers; l++)
    for (let b = 0; b < batch; b++)
      for (let t = 0; t < experts; t++) sums[l][t] += data[(l * batch + b) * experts + t];
}

/** Routes every prompt of `tasks` (input_ids batches of `batchSize`, right-padded) through `model`. */
export async function t5Routing(
  model: T5WemoeModel,
  tasks: readonly TtaTask[],
  options: { readonly batchSize: number; readonly threads?: number },
): Promise<T5Routing> {
  const experts = [...model.experts];
  const routed = await compileT5WemoeRouted(model, options.threads);
  const stacks = { encoder: model.t5.numLayers, decoder: model.t5.numDecoderLayers };
  const means = { encoder: [] as number[][][], decoder: [] as number[][][] };
  try {
    for (const task of tasks) {
      const sums = {
        encoder: Array.from({ length: stacks.encoder }, () => new Array<number>(experts.length).fill(0)),
        decoder: Array.from({ length: stacks.decoder }, () => new Array<number>(experts.length).fill(0)),
      };
      let rows = 0;
      for (let start = 0; start < task.count; start += options.batchSize) {
        const indices = Array.from(
          { length: Math.min(options.batchSize, task.count - start) },
          (_, i) => start + i,
        );
        const ids = await task.pixels(indices);
        const pad = BigInt(model.t5.padTokenId);
        const mask: Tensor = {
          dtype: 'I64',
          shape: ids.shape,
          data: (ids.data as BigInt64Array).map((v) => (v === pad ? 0n : 1n)),
        };
        const out = await routed.run({ ids, mask });
        // A batch-reduced model routes once per batch ([L, 1, T]): weigh that routing by the batch's rows.
        const scale = indices.length / out.encoder_routing_weights.shape[1];
        addOverBatch(sums.encoder, scaled(out.encoder_routing_weights, scale));
        addOverBatch(sums.decoder, scaled(out.decoder_routing_weights, scale));
        rows += indices.length;
      }
      means.encoder.push(sums.encoder.map((row) => row.map((s) => s / rows)));
      means.decoder.push(sums.decoder.map((row) => row.map((s) => s / rows)));
    }
  } finally {
    await routed.dispose();
  }
  const summary = (stack: 'encoder' | 'decoder'): RoutingSummary => ({
    layers: Array.from({ length: stacks[stack] }, (_, l) => l),
    experts,
    tasks: tasks.map((t) => t.name),
    // [task][layer][expert] → [layer][task][expert]
    mean_weights: Array.from({ length: stacks[stack] }, (_, l) => means[stack].map((perTask) => perTask[l])),
  });
  return { encoder: summary('encoder'), decoder: summary('decoder') };
}

function scaled(t: Tensor, factor: number): Tensor {
  if (factor === 1) return t;
  return { ...t, data: (t.data as Float32Array).map((v) => v * factor) };
}
