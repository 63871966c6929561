/**
 * What a test-time method is: from models and data in memory (the pre-trained model, the experts, the
 * tasks' unlabeled data — images with the tasks' heads for CLIP, tokenized prompts for T5 — and a seed) to
 * an adapted model in memory. It never reads or writes model files: `wemoe merge` loads its inputs and
 * saves its model once, around it, and the demo calls it on the suite it holds.
 */

import type { MethodInfo } from '../merge/method.js';
import type { ClipVisionConfig } from '../models/clip-vision/config.js';
import type { ClipParams } from '../models/clip-vision/params.js';
import type { Heads } from '../models/heads.js';
import type { MergedModel } from '../models/merged-model.js';
import type { T5Config } from '../models/t5/config.js';
import type { T5Params } from '../models/t5/params.js';
import type { TtaResult, TtaTask } from '../tta/loop.js';
import type { ProgressMode } from '../util/progress.js';

/** A CLIP vision encoder's merge: images classified by the tasks' heads. */
export interface ClipTestTimeInputs {
  readonly kind?: 'clip';
  readonly clip: ClipVisionConfig;
  readonly pretrained: ClipParams;
  /** Task → expert, in task order. */
  readonly experts: ReadonlyMap<string, ClipParams>;
  readonly heads: Heads;
  /** Each expert's task's unlabeled data, in expert order. */
  readonly tasks: readonly TtaTask[];
  /** Seed of the routers' init and of the batches. */
  readonly seed: number;
}

/** A T5 merge: each task's unlabeled prompts, tokenized (adapt/t5.ts tokenTask). */
export interface T5TestTimeInputs {
  readonly kind: 't5';
  readonly t5: T5Config;
  readonly pretrained: T5Params;
  /** Task → expert, in task order. */
  readonly experts: ReadonlyMap<string, T5Params>;
  /** Each expert's task's prompts as batches of input_ids, in expert order. */
  readonly tasks: readonly TtaTask[];
  /** Per task with label words: their first token ids (the `labels` objective). */
  readonly labelTokens: Readonly<Record<string, readonly number[]>>;
  readonly seed: number;
}

export type TestTimeInputs = ClipTestTimeInputs | T5TestTimeInputs;

/** How an adaptation runs (not what it computes). */
export interface AdaptationRun {
  readonly log: (line: string) => void;
  /** How to show progress (default 'auto'). */
  readonly progress?: ProgressMode;
  /** The progress label (default: the method's). */
  readonly label?: string;
  /** Checkpoints and the loss log (loss.jsonl) go here; none when absent. */
  readonly checkpointDir?: string;
}

export interface AdaptedModel {
  readonly model: MergedModel;
  readonly trainableParams: number;
  readonly allParams: number;
  readonly tta: TtaResult;
  /** JSON files to write beside the model, by file name (for example AdaMerging's coefficients). */
  readonly files?: Readonly<Record<string, unknown>>;
}

export interface TestTimeMethod<P = unknown> extends MethodInfo<P> {
  readonly kind: 'test-time';
  adapt(params: P, inputs: TestTimeInputs, run: AdaptationRun): Promise<AdaptedModel>;
}
