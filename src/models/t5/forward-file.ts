/**
 * `wemoe forward` on a T5 folder: input_ids (+ attention_mask, decoder_input_ids) from a safetensors file
 * through T5ForConditionalGeneration's forward; encoder_last_hidden_state and logits to a safetensors file.
 */
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { WemoeError } from '../../errors.js';
import { readConfig } from '../../io/checkpoint.js';
import { openSafetensors } from '../../io/safetensors-reader.js';
import { saveSafetensors } from '../../io/safetensors-writer.js';
import type { TensorSource } from '../../io/tensor-source.js';
import { checkWritableFile } from '../../io/writable.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { isT5ConfigJson } from './config.js';
import { T5Runner } from './runner.js';

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
  const runner = T5Runner.load(options.model, { threads: options.threads });
  try {
    const result = await runner.forward(inputs.ids, inputs.mask, inputs.decoder);
    const tensors = { ...result };
    saveSafetensors(options.output, tensors, { format: 'pt' });
    return tensors;
  } finally {
    await runner.dispose();
  }
}
