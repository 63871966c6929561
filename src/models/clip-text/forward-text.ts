/**
 * The text half of `wemoe forward`: `input_ids` I64 [B, S] (and optional `attention_mask` I64 [B, S])
 * from a safetensors file through a full CLIPModel folder's text tower → `text_embeds` [B, E]
 * (projected, not normalised) and `text_pooler_output` [B, D].
 */
import { WemoeError } from '../../errors.js';
import { openSafetensors } from '../../io/safetensors-reader.js';
import { shapeString, type Tensor } from '../../tensor/tensor.js';
import { ClipTextRunner } from './runner.js';

const INTEGER_DTYPES = new Set(['I64', 'I32', 'I16', 'I8', 'U8']);

/** Which of pixel_values and input_ids the input file holds. */
export function inputKinds(path: string): { pixels: boolean; text: boolean } {
  const source = openSafetensors(path);
  try {
    return { pixels: source.has('pixel_values'), text: source.has('input_ids') };
  } finally {
    source.close();
  }
}

/** An integer tensor [B, S] of the file as I64. */
function readIds(path: string, name: string): Tensor {
  const source = openSafetensors(path);
  try {
    const info = source.info(name);
    if (!INTEGER_DTYPES.has(info.dtype) || info.shape.length !== 2) {
      throw new WemoeError(
        `${path}: ${name} is ${info.dtype} ${shapeString(info.shape)}, expected I64 [B, S]`,
      );
    }
    const stored = source.read(name).data;
    const data =
      stored instanceof BigInt64Array
        ? stored
        : BigInt64Array.from(stored as ArrayLike<number>, (v) => BigInt(v));
    return { dtype: 'I64', shape: info.shape, data };
  } finally {
    source.close();
  }
}

function hasTensor(path: string, name: string): boolean {
  const source = openSafetensors(path);
  try {
    return source.has(name);
  } finally {
    source.close();
  }
}

/** text_embeds and text_pooler_output of the input file's input_ids through `modelDir`'s text tower. */
export async function forwardText(
  modelDir: string,
  input: string,
  options: { readonly threads?: number } = {},
): Promise<Record<string, Tensor>> {
  const inputIds = readIds(input, 'input_ids');
  const mask = hasTensor(input, 'attention_mask') ? readIds(input, 'attention_mask') : undefined;
  if (mask && shapeString(mask.shape) !== shapeString(inputIds.shape)) {
    throw new WemoeError(
      `${input}: attention_mask is ${shapeString(mask.shape)}, expected ${shapeString(inputIds.shape)} like input_ids`,
    );
  }
  const runner = ClipTextRunner.load(modelDir, { threads: options.threads });
  try {
    const out = await runner.forward(inputIds, mask);
    return { text_embeds: out.text_embeds, text_pooler_output: out.pooler_output };
  } finally {
    await runner.dispose();
  }
}
