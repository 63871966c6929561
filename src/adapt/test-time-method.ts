/**
 * What a test-time method is: from models and data in memory (the pre-trained encoder, the experts, the
 * tasks' heads and unlabeled data, a seed) to an adapted model in memory. It never reads or writes model
 * files: `wemoe merge` loads its inputs and saves its model once, around it, and the demo calls it on the
 * suite it holds.
 */

import type { MethodInfo } from '../merge/method.js';
import type { ClipVisionConfig } from '../models/clip-vision/config.js';
import type { ClipParams } from '../models/clip-vision/params.js';
import type { Heads } from '../models/heads.js';
import type { VisionModel } from '../models/vision-model.js';
import type { TtaResult, TtaTask } from '../tta/loop.js';
import type { ProgressMode } from '../util/progress.js';

export interface TestTimeInputs {
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
  readonly model: VisionModel;
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
