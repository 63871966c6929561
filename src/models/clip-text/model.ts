/**
 * The CLIP text transformer as a function on the graph, exactly Hugging Face's CLIPTextModel plus
 * CLIPModel's text_projection: token + position embeddings, pre-LN blocks under a causal mask (plus the
 * padding mask when given), final_layer_norm, the hidden state at the end-of-text token → pooler_output,
 * text_projection (no bias) → text_embeds.
 */
import { WemoeError } from '../../errors.js';
import { layerNorm, linear, where } from '../../graph/functional.js';
import type { Graph, Value } from '../../graph/graph.js';
import { encoderBlock, type ParamLookup } from '../clip-vision/block.js';
import type { ClipTextConfig } from './config.js';
import { TEXT_PREFIX, TEXT_PROJECTION, textLayerPrefix } from './params.js';

/** torch.finfo(float32).min: Hugging Face's value for "masked" in additive attention masks. */
export const MASKED = -3.4028234663852886e38;

export interface ClipTextInputs {
  /** I64 [B, S] */
  readonly inputIds: Value;
  /** I64 [B, S] (1 = token, 0 = padding), or absent (every token attended to). */
  readonly attentionMask?: Value;
  /** I64 [B]: the pooled token of each row as a flat index b·S + position (see `pooledPositions`). */
  readonly pooledIndex: Value;
}

export interface ClipTextOutputs {
  /** [B, S, D] after final_layer_norm */
  readonly lastHiddenState: Value;
  /** [B, D]: the end-of-text token's hidden state */
  readonly poolerOutput: Value;
  /** [B, E]: text_projection of pooler_output (not normalised) */
  readonly textEmbeds: Value;
}

/** [S, S]: 0 on and below the diagonal, MASKED above (a token sees itself and the tokens before it). */
function causalMask(graph: Graph, s: number): Value {
  const data = new Float32Array(s * s);
  for (let i = 0; i < s; i++) for (let j = i + 1; j < s; j++) data[i * s + j] = MASKED;
  return graph.constant({ dtype: 'F32', shape: [1, 1, s, s], data });
}

/** The additive mask [B|1, 1, S, S]: causal, plus MASKED on every key whose attention_mask is not 1. */
function additiveMask(graph: Graph, s: number, attentionMask?: Value): Value {
  const causal = causalMask(graph, s); // [1, 1, S, S]
  if (!attentionMask) return causal;
  const keep = attentionMask.cast('F32').eq(1); // [B, S]
  const padding = where(keep, 0, graph.scalar(MASKED)).reshape([0, 1, 1, s]); // [B, 1, 1, S]
  return causal.add(padding);
}

/** The forward of HF CLIPTextModel (+ text_projection); S is input_ids' static second dim. */
export function clipTextForward(
  config: ClipTextConfig,
  param: ParamLookup,
  inputs: ClipTextInputs,
): ClipTextOutputs {
  const s = inputs.inputIds.shape[1];
  if (typeof s !== 'number' || s > config.maxPositionEmbeddings) {
    throw new WemoeError(
      `clip-text: input_ids need a static length of at most ${config.maxPositionEmbeddings} tokens, got ${s}`,
    );
  }
  const d = config.hiddenSize;
  const e = `${TEXT_PREFIX}embeddings.`;
  const tokens = param(`${e}token_embedding.weight`).gather(0, inputs.inputIds); // [B, S, D]
  const positions = param(`${e}position_embedding.weight`).slice(0, 0, s); // [S, D]
  let x = tokens.add(positions); // [B, S, D]
  const mask = additiveMask(x.graph, s, inputs.attentionMask);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    x = encoderBlock(config, param, textLayerPrefix(layer), x, { seqLen: s, mask });
  }
  const lastHiddenState = layerNorm(
    x,
    param(`${TEXT_PREFIX}final_layer_norm.weight`),
    param(`${TEXT_PREFIX}final_layer_norm.bias`),
    config.layerNormEps,
  );
  const poolerOutput = lastHiddenState.reshape([-1, d]).gather(0, inputs.pooledIndex); // [B, D]
  const textEmbeds = linear(poolerOutput, param(TEXT_PROJECTION)); // [B, E]
  return { lastHiddenState, poolerOutput, textEmbeds };
}

/**
 * The pooled position of each row of `ids` [B, S], Hugging Face's rule: with the legacy
 * eos_token_id 2, the first position of the row's largest id (CLIP's end-of-text id is the largest);
 * otherwise the first position of eos_token_id, or 0 when the row has none.
 */
export function pooledPositions(config: ClipTextConfig, ids: BigInt64Array, batch: number): number[] {
  const s = ids.length / batch;
  const positions: number[] = [];
  for (let b = 0; b < batch; b++) {
    const row = ids.subarray(b * s, (b + 1) * s);
    let at = 0;
    if (config.eosTokenId === 2) {
      for (let j = 1; j < s; j++) if (row[j] > row[at]) at = j;
    } else {
      const found = row.indexOf(BigInt(config.eosTokenId));
      at = Math.max(found, 0); // no end token: position 0, as argmax of all-false
    }
    positions.push(at);
  }
  return positions;
}
