/** What the demo runs on: a pre-trained encoder, one expert per task, the heads and each task's test data. */
import { defaultProcessorConfig } from '../data/preprocess/config.js';
import { type LabeledImages, loadTaskData } from '../data/task-data.js';
import { WemoeError } from '../errors.js';
import type { ClipVisionConfig } from '../models/clip-vision/config.js';
import type { ClipParams } from '../models/clip-vision/params.js';
import type { Heads } from '../models/heads.js';
import { loadSuiteModels } from '../models/suite-models.js';

export interface DemoSuite {
  /** Shown in the report, e.g. "built-in suite". */
  readonly name: string;
  readonly config: ClipVisionConfig;
  readonly pretrained: ClipParams;
  /** Task → expert, in task order. */
  readonly experts: ReadonlyMap<string, ClipParams>;
  readonly heads: Heads;
  /**
   * The test split of every expert's task, in expert order: the unlabeled images of test-time
   * adaptation and the labelled images of evaluation (as in the paper).
   */
  readonly tasks: readonly LabeledImages[];
  readonly taskLabels?: Record<string, string>;
}

const SUITE_LABELS: Record<string, string> = {
  mnist: 'MNIST',
  fashion: 'Fashion',
  'uci-digits': 'UCI digits',
  letters: 'Letters',
  'house-digits': 'House digits',
  greek: 'Greek',
  kana: 'Kana',
  shapes: 'Shapes',
};

/** The built-in suite (assets/suite); `limit` keeps the first test images of each task (class-balanced). */
export function loadBuiltinSuite(limit?: number): DemoSuite {
  const models = loadSuiteModels();
  const processor = defaultProcessorConfig(models.config.imageSize);
  const tasks = [...models.experts.keys()].map((task) =>
    loadTaskData(task, { data: `suite:${task}`, split: 'test' }, processor, { limit }),
  );
  return { name: 'built-in suite', ...models, tasks, taskLabels: SUITE_LABELS };
}

/** The suite's parts must agree: every expert has test data and a head, in the same order. */
export function checkSuite(suite: DemoSuite): void {
  const experts = [...suite.experts.keys()];
  const tasks = suite.tasks.map((t) => t.task);
  if (experts.length === 0) throw new WemoeError(`demo: suite ${suite.name} has no experts`);
  if (JSON.stringify(experts) !== JSON.stringify(tasks)) {
    throw new WemoeError(
      `demo: suite ${suite.name}: test data for tasks ${tasks.join(', ')}, expected the experts' ${experts.join(', ')}`,
    );
  }
  for (const task of experts) {
    if (!suite.heads.tasks.has(task))
      throw new WemoeError(`demo: suite ${suite.name} has no head for ${task}`);
  }
}
