/**
 * What a test-time run will cost, from the model's size alone, for `wemoe merge --dry-run` before a
 * multi-hour run. Arithmetic: one adaptation step runs every task's batch forward and backward (≈ 3×
 * the forward's FLOPs), plus the per-batch merge of the task vectors. Calibrated on one measurement,
 * the full ViT-B/32 WEMoE step (12 blocks, width 768, 8 experts, 8 tasks × 16 images, depth-2
 * routers, random weights, bench/tta.bench.ts): 96.6 CPU-seconds a step; peak RSS 5,298 MiB routing each
 * image (a real `wemoe merge` run of that shape, per-image merged weights rebuilt in the backward) and
 * 4,413 MiB with batch_reduce. The experts are held only while the model is built (WEMoE: one at a time;
 * AdaMerging: all of them until its task vectors are built), so the peak is that of the setup or of a
 * step, whichever is higher. Read the figures as ±30%. T5 runs use the same arithmetic and calibration
 * (not measured on T5: read them as rougher); their inputs hold the experts through the steps.
 */
import type { ClipVisionConfig } from '../models/clip-vision/config.js';
import { innerDim, type T5Config } from '../models/t5/config.js';
import { t5ParamCount } from '../models/t5/params.js';

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
  /** The experts held as float32 while the model is built. */
  readonly expertBytes: number;
  /** Whether they stay held through the adaptation steps too. */
  readonly expertsDuringSteps: boolean;
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
  const upscaledPerLayer =
    run.upscaled === undefined
      ? undefined
      : (run.upscaled.includes('mlp') ? mlp : 0) + (run.upscaled.includes('self_attn') ? attention : 0);
  return assemble(run, {
    params,
    forwardPerSample: 2 * tokens * layers * (attention + mlp) + 4 * layers * tokens * tokens * d,
    upscaledPerBlock: upscaledPerLayer,
    blocks: layers,
    expertsKept: false,
    activationUnits: tokens * d * layers,
  });
}

/** A T5 test-time run: `tokens` per prompt on average (the objective decodes one step). */
export interface T5RunShape extends Omit<RunShape, 'clip' | 'upscaled'> {
  readonly t5: T5Config;
  readonly tokens: number;
  /** WEMoE: every block's feed-forward module is upscaled. */
  readonly wemoe: boolean;
}

/** The same arithmetic and calibration for T5's objective: the encoder over the prompt, one decoder step. */
export function estimateT5Run(run: T5RunShape): RunEstimate {
  const { t5, tokens: s } = run;
  const d = t5.dModel;
  const inner = innerDim(t5);
  const attention = 4 * d * inner;
  const feedForward = (t5.isGatedAct ? 3 : 2) * d * t5.dFf;
  const encoder = 2 * s * t5.numLayers * (attention + feedForward) + 4 * t5.numLayers * s * s * inner;
  // One decoder token: self-attention, cross-attention (keys and values over the S encoder states), lm_head.
  const decoder =
    t5.numDecoderLayers * (2 * (2 * attention + feedForward) + 4 * s * d * inner) + 2 * d * t5.vocabSize;
  const blocks = t5.numLayers + t5.numDecoderLayers;
  return assemble(run, {
    params: t5ParamCount(t5),
    forwardPerSample: encoder + decoder,
    upscaledPerBlock: run.wemoe ? feedForward : undefined,
    blocks,
    expertsKept: true,
    activationUnits: s * d * t5.numLayers,
  });
}

interface ModelCost {
  readonly params: number;
  /** Forward FLOPs of one sample. */
  readonly forwardPerSample: number;
  /** WEMoE: parameters of one block's upscaled modules; AdaMerging: undefined (the whole model is merged). */
  readonly upscaledPerBlock?: number;
  readonly blocks: number;
  /** Whether the inputs keep the experts through the steps (T5's do), not only while the model is built. */
  readonly expertsKept: boolean;
  /** Activations kept for the backward per sample, in units of ACTIVATION_FACTOR floats. */
  readonly activationUnits: number;
}

function assemble(run: Omit<RunShape, 'clip' | 'upscaled'>, cost: ModelCost): RunEstimate {
  const { params } = cost;
  const upscaled = cost.upscaledPerBlock === undefined ? undefined : cost.upscaledPerBlock * cost.blocks;
  const mergedCopies = upscaled === undefined || run.batchReduce ? 1 : run.batch;
  // Building θ_b = θ + Σt w_b,t τt per batch (WEMoE: per sample and module; AdaMerging: the whole model).
  const mergeFlops =
    upscaled === undefined ? 2 * run.experts * params : 2 * mergedCopies * run.experts * upscaled;
  const stepFlops = run.experts * 3 * (run.batch * cost.forwardPerSample + mergeFlops);
  const secondsPerStep = stepFlops / (FLOPS_PER_CPU_SECOND * run.threads);

  // WEMoE folds the experts in one at a time; AdaMerging holds them all until its task vectors are built.
  const heldExperts = upscaled === undefined || cost.expertsKept ? run.experts : 1;
  const expertBytes = heldExperts * params * F32;
  const taskVectors = upscaled === undefined ? run.experts * params : run.experts * upscaled;
  // One block's merged copies and their gradient at a time (the backward rebuilds them block by block).
  const transientMerged =
    cost.upscaledPerBlock === undefined ? params : 2 * mergedCopies * cost.upscaledPerBlock;
  const activations = ACTIVATION_FACTOR * run.batch * cost.activationUnits;
  const stepBytes =
    (2 * params + taskVectors + transientMerged + activations) * F32 + (cost.expertsKept ? expertBytes : 0);
  const setupBytes = (params + taskVectors) * F32 + expertBytes;
  const peakBytes = BASE_BYTES + Math.max(stepBytes, setupBytes);
  return { secondsPerStep, peakBytes, expertBytes, expertsDuringSteps: cost.expertsKept };
}
