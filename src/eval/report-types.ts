/**
 * The data model of one run (a demo or an eval): what the runner fills in and what the JSON, Markdown
 * and HTML renderers read. Accuracies are fractions in [0, 1]; losses are mean cross-entropies in nats;
 * times are seconds. Keys of `per_task` records are task names from `RunReport.tasks`.
 */

/**
 * Accuracy and mean cross-entropy of one model on one task (or an average over tasks). A text task's
 * `accuracy` holds its metric (accuracy, or Spearman's ρ in [−1, 1]: RunReport.task_metrics) and its
 * `loss` 0: text tasks measure none.
 */
export interface TaskScore {
  accuracy: number;
  loss: number;
}

/** What a text task's score measures (GLUE: accuracy; STS-B: Spearman's ρ). */
export type TaskMetric = 'accuracy' | 'spearman';

export interface ModelInfo {
  /** Parameters the method trained (routers, merging coefficients); 0 for static merges. */
  trainable_params: number;
  /** Every parameter the resulting model stores (task vectors included for WEMoE). */
  all_params: number;
}

export interface Timing {
  /** Loading, merging, building and compiling graphs. */
  setup_s: number;
  /** Test-time adaptation (0 for static merges). */
  adapt_s: number;
  /** Evaluation over all tasks. */
  eval_s: number;
  total_s: number;
}

export interface LossPoint {
  step: number;
  /** The adaptation objective at this step (sum over tasks of mean prediction entropy). */
  loss: number;
  /** The same objective split by task, when recorded. */
  per_task?: Record<string, number>;
}

/** What a test-time method's adaptation did; tta/'s StepRecord[] fits `loss_curve` as it is. */
export interface TtaSummary {
  loss_curve: readonly LossPoint[];
}

/** The paper's routing analysis: how much each expert is used, on average, for each task's samples. */
export interface RoutingSummary {
  /** Indices of the upscaled transformer blocks, one per entry of `mean_weights`. */
  layers: number[];
  /** The experts' task names, in the model's expert order (columns). */
  experts: string[];
  /** The tasks whose test samples were routed (rows); usually `RunReport.tasks`. */
  tasks: string[];
  /** [layer][task][expert]: mean routing weight of expert e over the samples of task t at that layer. */
  mean_weights: number[][][];
}

export interface MethodResult {
  /** Unique id within the run, also the key in report.json, e.g. "ties" or "wemoe_depth2". */
  method: string;
  /** Display name, e.g. "WEMoE (depth 2)". */
  label: string;
  /**
   * True for reference rows that are not merged models (the pre-trained model, the individual
   * experts): shown in tables but never marked best.
   */
  reference?: boolean;
  per_task: Record<string, TaskScore>;
  /** Mean over `RunReport.tasks` of the per-task scores. */
  average: TaskScore;
  model_info: ModelInfo;
  timing: Timing;
  /** The method's hyperparameters as used (λ, steps, lr, router depth, ...). */
  hyperparameters?: Record<string, number | string | boolean>;
  tta?: TtaSummary;
  /** WEMoE: the MLP routers' mean weights (the paper's routing analysis). */
  routing?: RoutingSummary;
  /** WEMoE with the attention upscaled too: the attention routers' mean weights. */
  attention_routing?: RoutingSummary;
  /** WEMoE on T5: the decoder's feed-forward routers (`routing` then holds the encoder's). */
  decoder_routing?: RoutingSummary;
}

/** A hyperparameter that differs from the paper's value, and why (usually the CPU time budget). */
export interface ChangedHyperparameter {
  name: string;
  paper: number | string;
  used: number | string;
  why: string;
}

export interface MachineInfo {
  cpus: number;
  /** CPU model name, when known. */
  cpu_model?: string;
  /** Node.js version, e.g. "v20.11.0". */
  node: string;
  /** onnxruntime-node version. */
  ort: string;
  /** os.platform() and os.arch(), e.g. "linux x64". */
  platform?: string;
}

export interface RunSettings {
  /** The `--quick` budget (fewer adaptation steps, test subsets). */
  quick: boolean;
  seed?: number;
  /** Where the tasks come from, e.g. "built-in suite" or a config path. */
  suite?: string;
  /** Test samples evaluated per task, when a subset was used. */
  test_samples_per_task?: number;
  /** Free-form lines worth telling the reader (subsets used, budgets). */
  notes?: string[];
  changed_hyperparameters: ChangedHyperparameter[];
}

/** Merge on `seen` tasks, evaluate on all of them (each task with its own head). */
export interface GeneralizationResult {
  method: string;
  label: string;
  /** Scores for every task of `seen` and `unseen`. */
  per_task: Record<string, TaskScore>;
  seen_average: TaskScore;
  unseen_average: TaskScore;
}

export interface GeneralizationExperiment {
  seen: string[];
  unseen: string[];
  methods: GeneralizationResult[];
}

/** One test condition of the robustness experiment: the clean test sets or one corruption. */
export interface RobustnessCondition {
  /** "clean" or a corruption name, e.g. "motion_blur", "jpeg". */
  name: string;
  /** Display name, e.g. "Motion blur". */
  label: string;
  /** Keyed by method id (`RobustnessExperiment.methods[i].method`). */
  results: Record<string, { per_task: Record<string, TaskScore>; average: TaskScore }>;
}

export interface RobustnessExperiment {
  /** The tasks merged, adapted and tested (four in the paper). */
  tasks: string[];
  /** Corruption severity, 1–5. */
  severity: number;
  /** Columns of the paper's Table 5, in order. */
  methods: { method: string; label: string }[];
  /** Rows: clean first, then each corruption. */
  conditions: RobustnessCondition[];
}

export interface RunReport {
  title: string;
  /** ISO 8601 time the run started. */
  created: string;
  machine: MachineInfo;
  settings: RunSettings;
  /** The tasks of the main table, in column order. */
  tasks: string[];
  /** Display names of tasks, e.g. {"fashion": "Fashion-MNIST"}; a task without one shows its name. */
  task_labels?: Record<string, string>;
  /**
   * Text tasks (a T5 model's, GLUE-style): each task's metric, every task of `tasks` named. Present, the
   * tables show GLUE scores (ρ columns marked) and no loss; absent, every task is an image classification.
   */
  task_metrics?: Record<string, TaskMetric>;
  /** Rows of the main table, in order (reference rows first, as in the paper). */
  methods: MethodResult[];
  experiments?: {
    generalization?: GeneralizationExperiment;
    robustness?: RobustnessExperiment;
  };
  /** Wall time of the whole run. */
  total_s?: number;
}
