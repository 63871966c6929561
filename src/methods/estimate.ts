/**
 * What a test-time run will cost, from the model's size alone, for `wemoe merge --dry-run` before a
 * multi-hour run. Arithmetic: one adaptation step runs every task's batch forward and backward (≈ 3×
 * the forward's FLOPs), plus the per-batch merge of the task vectors. Calibrated on one measurement,
 * the full ViT-B/32 WEMoE step (12 blocks, width 768, 8 experts, 8 tasks × 16 images, depth-2
 * routers, random weights, bench/tta.bench.ts): 96.6 CPU-seconds a step; peak RSS 5,298 MiB routing each
 * image (a real `wemoe merge` run of that shape, per-image merged weights rebuilt in the backward) and
 * 4,413 MiB with batch_reduce. The experts are held only while the model is built (WEMoE: one at a time;
 * AdaMerging: all of them until its task vectors are built), so the peak is that of the setup or of a
 * step, whichever is higher. Read the figures as ±30%.
 */
import type { ClipVisionConfig } from '../models/clip-vision/config.js';

export interface RunShape {
  readonly clip: ClipVisionConfig;
  /** Experts merged (T). */
  readonly experts: number;
  /** Images per task per step. */
  readonly batch: number;
  readonly steps: number;
  readonly threads: number;
  /** WEMoE: the modules upscaled ('mlp', 'self_attn'); AdaMerging: none (the whole model is merged). */
  readonly upscaled?: readonly string[];
  /** WEMoE: one routing per batch (merged weights [1, ...]) instead of one per image. */
  readonly batchReduce?: boolean;
}

export interface RunEstimate {
  readonly secondsPerStep: number;
  readonly peakBytes: number;
  /** The experts held as float32 while the model is built (none during the adaptation). */
  readonly expertBytes: number;
}

const F32 = 4;
/** Forward and backward FLOPs per CPU-second, from the measured step (see above). */
const FLOPS_PER_CPU_SECOND = 37.77e9;
/** Activations kept for the backward, in units of B × N × D × L floats (fitted to the measurements). */
const ACTIVATION_FACTOR = 71;
const BASE_BYTES = 150 * 2 ** 20;

function sizes(clip: ClipVisionConfig) {
  const d = clip.hiddenSize;
  const tokens = (clip.imageSize / clip.patchSize) ** 2 + 1;
  const attention = 4 * (d * d + d);
  const mlp = 2 * d * clip.intermediateSize + clip.intermediateSize + d;
  const embeddings = d * clip.numChannels * clip.patchSize ** 2 + d + tokens * d;
  const params = clip.numHiddenLayers * (attention + mlp + 4 * d) + embeddings + 4 * d;
  return { d, tokens, attention, mlp, params };
}

export function estimateRun(run: RunShape): RunEstimate {
  const { d, tokens, attention, mlp, params } = sizes(run.clip);
  const layers = run.clip.numHiddenLayers;
  const forwardPerImage = 2 * tokens * layers * (attention + mlp) + 4 * layers * tokens * tokens * d;
  const upscaledPerLayer =
    run.upscaled === undefined
      ? 0
      : (run.upscaled.includes('mlp') ? mlp : 0) + (run.upscaled.includes('self_attn') ? attention : 0);
  const mergedCopies = run.upscaled === undefined || run.batchReduce ? 1 : run.batch;
  // Building θ_b = θ + Σt w_b,t τt per batch (WEMoE: per image and layer; AdaMerging: the whole model).
  const mergeFlops =
    run.upscaled === undefined
      ? 2 * run.experts * params
      : 2 * mergedCopies * run.experts * upscaledPerLayer * layers;
  const stepFlops = run.experts * 3 * (run.batch * forwardPerImage + mergeFlops);
  const secondsPerStep = stepFlops / (FLOPS_PER_CPU_SECOND * run.threads);

  const heldExperts = run.upscaled === undefined ? run.experts : 1;
  const expertBytes = heldExperts * params * F32;
  const taskVectors =
    run.upscaled === undefined ? run.experts * params : run.experts * upscaledPerLayer * layers;
  // One block's merged copies and their gradient at a time (the backward rebuilds them block by block).
  const transientMerged = run.upscaled === undefined ? params : 2 * mergedCopies * upscaledPerLayer;
  const activations = ACTIVATION_FACTOR * run.batch * tokens * d * layers;
  const stepBytes = (2 * params + taskVectors + transientMerged + activations) * F32;
  const setupBytes = (params + taskVectors) * F32 + expertBytes;
  const peakBytes = BASE_BYTES + Math.max(stepBytes, setupBytes);
  return { secondsPerStep, peakBytes, expertBytes };
}
