/**
 * FLOP counts of the T5 benchmark cases (bench/t5.bench.ts), multiply-adds counted as 2: the forward of
 * T5ForConditionalGeneration over B inputs of S tokens and Q decoder tokens, and one WEMoE adaptation step
 * (every feed-forward module a mixture, depth-2 routers, the decoder fed one token).
 */
import { innerDim, type T5Config } from '../src/models/t5/config.js';

interface Lengths {
  /** Encoder tokens per sample. */
  readonly src: number;
  /** Decoder tokens per sample. */
  readonly tgt: number;
}

/** Per sample and block, the matmul FLOPs of each sub-layer. */
function blockFlops(config: T5Config, { src: s, tgt: q }: Lengths) {
  const { dModel: d, dFf: f } = config;
  const i = innerDim(config);
  const ffWidth = config.isGatedAct ? 3 : 2; // projections of the feed-forward module
  return {
    encoderAttention: 8 * s * d * i + 4 * s * s * i,
    decoderSelf: 8 * q * d * i + 4 * q * q * i,
    /** q and o on the decoder tokens, k and v on the encoder tokens, scores and mixing. */
    crossQo: 4 * q * d * i + 4 * q * s * i,
    crossKv: 4 * s * d * i,
    ff: (tokens: number) => 2 * ffWidth * tokens * d * f,
    ffParams: ffWidth * d * f,
  };
}

/** FLOPs of one forward of `batch` samples. */
export function t5ForwardFlops(config: T5Config, batch: number, lengths: Lengths): number {
  const b = blockFlops(config, lengths);
  const encoder = config.numLayers * (b.encoderAttention + b.ff(lengths.src));
  const decoder = config.numDecoderLayers * (b.decoderSelf + b.crossQo + b.crossKv + b.ff(lengths.tgt));
  const lmHead = 2 * lengths.tgt * config.dModel * config.vocabSize;
  return batch * (encoder + decoder + lmHead);
}

/**
 * FLOPs of one WEMoE step: for each of `tasks` batches of `batch` samples, the forward (with the routers,
 * 2·D·D + 2·D·T per token, and every sample's merged weights, 2·T·|θ| per module) and the backward: input
 * gradients of every matmul above the first router (encoder block 0's attention needs none), the
 * per-sample feed-forward weights' gradients (they carry the routers' gradient), the routers' weight
 * gradients, ∂L/∂w = <∂L/∂θ_b, τ> and the merged weights rebuilt in the backward (2·T·|θ| each).
 */
export function t5WemoeStepFlops(config: T5Config, batch: number, lengths: Lengths, tasks: number) {
  const d = config.dModel;
  const b = blockFlops(config, lengths);
  const router = (tokens: number) => 2 * tokens * d * d + 2 * tokens * d * tasks;
  const merge = 2 * tasks * b.ffParams;
  const { src: s, tgt: q } = lengths;
  const encoderForward = b.encoderAttention + b.ff(s) + router(s) + merge;
  const decoderForward = b.decoderSelf + b.crossQo + b.crossKv + b.ff(q) + router(q) + merge;
  const lmHead = 2 * q * d * config.vocabSize;
  // Attention backward: input gradients of the projections (as many FLOPs as the forward's) and twice the
  // forward's for scores and mixing (both operands need gradients).
  const attentionBackward = (projections: number, scores: number) => projections + 2 * scores;
  const i = innerDim(config);
  const encoderBackward = (block: number) =>
    (block === 0 ? 0 : attentionBackward(8 * s * d * i, 4 * s * s * i)) +
    2 * b.ff(s) +
    2 * router(s) +
    2 * merge;
  const decoderBackward =
    attentionBackward(8 * q * d * i, 4 * q * q * i) +
    attentionBackward(4 * q * d * i, 4 * q * s * i) +
    b.crossKv + // the encoder states' gradient through k and v
    2 * b.ff(q) +
    2 * router(q) +
    2 * merge;
  let perSample = lmHead * 2 + config.numDecoderLayers * (decoderForward + decoderBackward);
  for (let block = 0; block < config.numLayers; block++) perSample += encoderForward + encoderBackward(block);
  const forward = config.numLayers * encoderForward + config.numDecoderLayers * decoderForward + lmHead;
  return { forward: tasks * batch * forward, step: tasks * batch * perSample };
}
