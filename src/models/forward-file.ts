/**
 * `wemoe forward` as a library call: pixel_values from a safetensors file through a model folder
 * (plain CLIP vision or WEMoE), and input_ids through a full CLIPModel's text tower, outputs to a
 * safetensors file (docs/formats.md).
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { WemoeError } from '../errors.js';
import { Graph, type Value } from '../graph/index.js';
import { openSafetensors } from '../io/safetensors-reader.js';
import { saveSafetensors } from '../io/safetensors-writer.js';
import { checkWritableFile } from '../io/writable.js';
import { compile } from '../runtime/index.js';
import { shapeString, type Tensor } from '../tensor/tensor.js';
import { forwardText, inputKinds } from './clip-text/forward-text.js';
import { readClipVisionConfig } from './clip-vision/config.js';
import { ClipVisionRunner } from './clip-vision/runner.js';
import { headLogits } from './head-logits.js';
import { type Heads, loadHeads } from './heads.js';
import { forwardT5File, isT5Folder } from './t5/forward-file.js';
import { isWemoeFolder, loadWemoe } from './wemoe/checkpoint.js';
import { routingOutputs, wemoeForward } from './wemoe/graph.js';

export interface ForwardFileOptions {
  /** Model folder: CLIP vision (HF) or WEMoE. */
  readonly model: string;
  /** safetensors holding `pixel_values` [B, C, H, W] F32. */
  readonly input: string;
  /** safetensors to write: pooler_output, last_hidden_state, and logits / routing_weights when they apply. */
  readonly output: string;
  /** heads.safetensors; with `task`, adds `logits` [B, K]. */
  readonly heads?: string;
  readonly task?: string;
  readonly threads?: number;
}

function readPixels(path: string): Tensor {
  const source = openSafetensors(path);
  try {
    if (!source.has('pixel_values'))
      throw new WemoeError(`${path}: no tensor pixel_values (expected [B, C, H, W] F32)`);
    const info = source.info('pixel_values');
    if (info.dtype !== 'F32') {
      throw new WemoeError(
        `${path}: pixel_values is ${info.dtype}, expected F32 pixels already normalised by the model's processor (mean and std)`,
      );
    }
    if (info.shape.length !== 4) {
      throw new WemoeError(`${path}: pixel_values is ${shapeString(info.shape)}, expected [B, C, H, W]`);
    }
    // The runners check C, H and W against the model.
    const [, c, h, w] = info.shape;
    const data = source.readF32('pixel_values');
    checkFinite(path, data, c * h * w);
    return { dtype: 'F32', shape: info.shape, data };
  } finally {
    source.close();
  }
}

/** NaN or ±Inf pixels would silently give NaN outputs; the error names the first such image. */
function checkFinite(path: string, data: Float32Array, perImage: number): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new WemoeError(
        `${path}: pixel_values image ${Math.floor(i / perImage)} holds a non-finite value (${data[i]}) at element ${i % perImage}`,
      );
    }
  }
}

/** The output must not replace a file this command reads. */
function checkOutputPath(options: ForwardFileOptions): void {
  const target = canonical(options.output);
  for (const [flag, path] of [
    ['--input', options.input],
    ['--heads', options.heads],
  ] as const) {
    if (path !== undefined && canonical(path) === target)
      throw new WemoeError(`forward: --output ${options.output} is the ${flag} file; choose another output`);
  }
  checkWritableFile(options.output);
}

/** The absolute path with symbolic links resolved as far as the path exists. */
function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/** The WEMoE graph with routing weights; weights baked in as constants. */
async function wemoeOutputs(
  dir: string,
  pixels: Tensor,
  heads: Heads | undefined,
  options: ForwardFileOptions,
) {
  const model = loadWemoe(dir);
  const graph = new Graph();
  const { numChannels: c, imageSize: s } = model.clip;
  const input = graph.input('pixel_values', 'F32', ['batch', c, s, s]);
  const out = wemoeForward(model, input);
  const outputs: Record<string, Value> = {
    pooler_output: out.poolerOutput,
    last_hidden_state: out.lastHiddenState,
    ...routingOutputs(out),
  };
  if (heads && options.task !== undefined) outputs.logits = headLogits(heads, options.task, out.poolerOutput);
  const compiled = await compile(outputs, { threads: options.threads });
  const result = await compiled.run({ pixel_values: pixels });
  await compiled.dispose();
  return result;
}

/** Runs the forward and writes the output file; returns the written tensors. */
export async function forwardFile(options: ForwardFileOptions): Promise<Record<string, Tensor>> {
  if (isT5Folder(options.model)) return forwardT5File(options);
  if ((options.heads === undefined) !== (options.task === undefined)) {
    throw new WemoeError(
      'forward: --heads and --task go together (the task names one head in the heads file)',
    );
  }
  checkOutputPath(options);
  // input_ids go through a full CLIPModel's text tower; pixel_values (also) through the vision path below.
  const kinds = inputKinds(options.input);
  const text = kinds.text ? await forwardText(options.model, options.input, options) : {};
  if (kinds.text && !kinds.pixels) {
    if (options.heads) throw new WemoeError('forward: --heads and --task need pixel_values in the input');
    saveSafetensors(options.output, text, { format: 'pt' });
    return text;
  }
  const config = readClipVisionConfig(options.model);
  const pixels = readPixels(options.input);
  const heads = options.heads ? loadHeads(options.heads, config.hiddenSize) : undefined;
  let result: Record<string, Tensor>;
  if (isWemoeFolder(options.model)) {
    result = await wemoeOutputs(options.model, pixels, heads, options);
  } else {
    const runner = ClipVisionRunner.load(options.model, { threads: options.threads, heads });
    result = { ...(await runner.forward(pixels, options.task)) };
    await runner.dispose();
  }
  result = { ...result, ...text };
  saveSafetensors(options.output, result, { format: 'pt' });
  return result;
}
