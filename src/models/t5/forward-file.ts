/**
 * `wemoe forward` on a T5 folder: input_ids (+ attention_mask, decoder_input_ids) from a safetensors file
 * through T5ForConditionalGeneration's forward; encoder_last_hidden_state and logits (and, for a WEMoE T5
 * folder, encoder_routing_weights and decoder_routing_weights [L, B, T]) to a safetensors file.
 */
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { WemoeError } from '../../errors.js';
import { Graph } from '../../graph/graph.js';
import { readConfig } from '../../io/checkpoint.js';
import { openSafetensors } from '../../io/safetensors-reader.js';
import { saveSafetensors } from '../../io/safetensors-writer.js';
import type { TensorSource } from '../../io/tensor-source.js';
import { checkWritableFile } from '../../io/writable.js';
import { compile } from '../../runtime/compile.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { isT5ConfigJson } from './config.js';
import {
  checkAttentionMask,
  checkTokenIds,
  decoderPositionFeeds,
  encoderPositionFeeds,
  i64,
  onesLike,
} from './feeds.js';
import { T5Runner } from './runner.js';
import { type T5WemoeModel, t5WemoeForward } from './wemoe.js';
import { loadT5Wemoe } from './wemoe-checkpoint.js';

export interface T5ForwardFileOptions {
  /** T5 model folder (config.json with model_type t5). */
  readonly model: string;
  /** safetensors: input_ids I64 [B, S], optional attention_mask I64 [B, S] and decoder_input_ids I64 [B, S']. */
  readonly input: string;
  /** safetensors to write: encoder_last_hidden_state [B, S, D] and logits [B, S', V] (F32). */
  readonly output: string;
  readonly heads?: string;
  readonly task?: string;
  readonly threads?: number;
}

/** Whether `dir` is a model folder whose config.json says model_type t5. */
export function isT5Folder(dir: string): boolean {
  try {
    return isT5ConfigJson(readConfig(dir));
  } catch {
    return false;
  }
}

/** An I64 [B, L] tensor of the file, or undefined when absent and optional. */
function readIds(source: TensorSource, name: string, required: boolean): Tensor | undefined {
  if (!source.has(name)) {
    if (required) throw new WemoeError(`${source.path}: no tensor ${name} (expected I64 [B, S] token ids)`);
    return undefined;
  }
  const tensor = source.read(name);
  if (tensor.dtype !== 'I64' || tensor.shape.length !== 2)
    throw new WemoeError(
      `${source.path}: ${name} is ${tensor.dtype} ${shapeString(tensor.shape)}, expected I64 [B, S] token ids`,
    );
  return tensor;
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : resolve(p));
  return real(a) === real(b);
}

/** Runs the forward and writes the output file; returns the written tensors. */
export async function forwardT5File(options: T5ForwardFileOptions): Promise<Record<string, Tensor>> {
  if (options.heads !== undefined || options.task !== undefined)
    throw new WemoeError(`forward: --heads and --task apply to CLIP models; ${options.model} is a T5 model`);
  if (samePath(options.input, options.output))
    throw new WemoeError(`forward: --output ${options.output} is the --input file; choose another output`);
  checkWritableFile(options.output);
  const source = openSafetensors(options.input);
  let inputs: { ids: Tensor; mask?: Tensor; decoder?: Tensor };
  try {
    inputs = {
      ids: readIds(source, 'input_ids', true)!,
      mask: readIds(source, 'attention_mask', false),
      decoder: readIds(source, 'decoder_input_ids', false),
    };
  } finally {
    source.close();
  }
  const tensors =
    typeof readConfig(options.model).wemoe === 'object'
      ? await wemoeForward(options.model, inputs, options.threads)
      : await plainForward(options.model, inputs, options.threads);
  saveSafetensors(options.output, tensors, { format: 'pt' });
  return tensors;
}

export interface ForwardInputs {
  readonly ids: Tensor;
  readonly mask?: Tensor;
  readonly decoder?: Tensor;
}

async function plainForward(dir: string, inputs: ForwardInputs, threads?: number) {
  const runner = T5Runner.load(dir, { threads });
  try {
    return { ...(await runner.forward(inputs.ids, inputs.mask, inputs.decoder)) };
  } finally {
    await runner.dispose();
  }
}

async function wemoeForward(dir: string, inputs: ForwardInputs, threads?: number) {
  const routed = await compileT5WemoeRouted(loadT5Wemoe(dir), threads);
  try {
    return await routed.run(inputs);
  } finally {
    await routed.dispose();
  }
}

/** A WEMoE T5 forward compiled once, run on many batches: outputs and each stack's routing weights. */
export interface T5WemoeRouted {
  /** encoder_last_hidden_state, logits, encoder_routing_weights [Le, B, T], decoder_routing_weights [Ld, B, T]. */
  run(inputs: ForwardInputs): Promise<Record<string, Tensor>>;
  dispose(): Promise<void>;
}

/** The WEMoE T5 graph with each stack's routing weights [L, B, T]; weights baked in as constants. */
export async function compileT5WemoeRouted(model: T5WemoeModel, threads?: number): Promise<T5WemoeRouted> {
  const config = model.t5;
  const g = new Graph();
  const out = t5WemoeForward(
    model,
    {
      inputIds: g.input('input_ids', 'I64', ['batch', 'src']),
      attentionMask: g.input('attention_mask', 'I64', ['batch', 'src']),
      buckets: g.input('encoder_buckets', 'I64', ['src', 'src']),
    },
    {
      decoderInputIds: g.input('decoder_input_ids', 'I64', ['batch', 'tgt']),
      buckets: g.input('decoder_buckets', 'I64', ['tgt', 'tgt']),
      causalBias: g.input('decoder_causal_bias', 'F32', ['tgt', 'tgt']),
    },
  );
  const compiled = await compile(
    {
      encoder_last_hidden_state: out.encoderHidden,
      logits: out.logits,
      encoder_routing_weights: out.encoderRouting,
      decoder_routing_weights: out.decoderRouting,
    },
    { threads },
  );
  return {
    run(inputs) {
      const ids = inputs.ids;
      const mask = inputs.mask ?? onesLike(ids);
      const decoder =
        inputs.decoder ?? i64(Array.from({ length: ids.shape[0] }, () => [config.decoderStartTokenId]));
      checkTokenIds('input_ids', ids, config.vocabSize);
      checkAttentionMask(mask, ids);
      checkTokenIds('decoder_input_ids', decoder, config.vocabSize);
      if (decoder.shape[0] !== ids.shape[0])
        throw new WemoeError(
          `decoder_input_ids: ${decoder.shape[0]} rows, expected ${ids.shape[0]} as input_ids`,
        );
      return compiled.run({
        input_ids: ids,
        attention_mask: mask,
        decoder_input_ids: decoder,
        ...encoderPositionFeeds(config, ids.shape[1]),
        ...decoderPositionFeeds(config, decoder.shape[1]),
      });
    },
    dispose: () => compiled.dispose(),
  };
}
