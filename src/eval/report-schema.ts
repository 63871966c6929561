/**
 * zod schemas of report.json (see report-json.ts for the layout), used to read a report back. The
 * `satisfies` clauses keep them in step with the interfaces of report-types.ts.
 */
import { z } from 'zod';
import type {
  ChangedHyperparameter,
  GeneralizationExperiment,
  MachineInfo,
  ModelInfo,
  RobustnessExperiment,
  RoutingSummary,
  RunSettings,
  TaskScore,
  Timing,
  TtaSummary,
} from './report-types.js';

const finite = z.number().refine(Number.isFinite, 'expected a finite number');

export const taskScoreSchema = z.object({ accuracy: finite, loss: finite }) satisfies z.ZodType<TaskScore>;

/** A text task's score in report.json: its one metric under `key` (accuracy or spearman_rho). */
export function textScoreSchema<K extends string>(key: K) {
  return z.object({ [key]: finite } as Record<K, typeof finite>);
}

const modelInfoSchema = z.object({
  trainable_params: finite,
  all_params: finite,
}) satisfies z.ZodType<ModelInfo>;

const timingSchema = z.object({
  setup_s: finite,
  adapt_s: finite,
  eval_s: finite,
  total_s: finite,
}) satisfies z.ZodType<Timing>;

const ttaSchema = z.object({
  loss_curve: z
    .array(z.object({ step: finite, loss: finite, per_task: z.record(z.string(), finite).optional() }))
    .readonly(),
}) satisfies z.ZodType<TtaSummary>;

const routingSchema = z.object({
  layers: z.array(z.number().int()),
  experts: z.array(z.string()),
  tasks: z.array(z.string()),
  mean_weights: z.array(z.array(z.array(finite))),
}) satisfies z.ZodType<RoutingSummary>;

const scalarSchema = z.union([z.number(), z.string()]);

const settingsSchema = z.object({
  quick: z.boolean(),
  seed: z.number().optional(),
  suite: z.string().optional(),
  test_samples_per_task: z.number().optional(),
  notes: z.array(z.string()).optional(),
  changed_hyperparameters: z.array(
    z.object({
      name: z.string(),
      paper: scalarSchema,
      used: scalarSchema,
      why: z.string(),
    }) satisfies z.ZodType<ChangedHyperparameter>,
  ),
}) satisfies z.ZodType<RunSettings>;

const machineSchema = z.object({
  cpus: z.number(),
  cpu_model: z.string().optional(),
  node: z.string(),
  ort: z.string(),
  platform: z.string().optional(),
}) satisfies z.ZodType<MachineInfo>;

const scoresSchema = z.object({ per_task: z.record(z.string(), taskScoreSchema), average: taskScoreSchema });

const generalizationSchema = z.object({
  seen: z.array(z.string()),
  unseen: z.array(z.string()),
  methods: z.array(
    z.object({
      method: z.string(),
      label: z.string(),
      per_task: z.record(z.string(), taskScoreSchema),
      seen_average: taskScoreSchema,
      unseen_average: taskScoreSchema,
    }),
  ),
}) satisfies z.ZodType<GeneralizationExperiment>;

const robustnessSchema = z.object({
  tasks: z.array(z.string()),
  severity: z.number(),
  methods: z.array(z.object({ method: z.string(), label: z.string() })),
  conditions: z.array(
    z.object({ name: z.string(), label: z.string(), results: z.record(z.string(), scoresSchema) }),
  ),
}) satisfies z.ZodType<RobustnessExperiment>;

/** One method's FusionBench object: task keys are checked against `tasks` after parsing. */
const methodJsonSchema = z.looseObject({
  method: z.string(),
  /** {accuracy, loss}; text tasks {accuracy} (the loss checked when read). */
  average: z.object({ accuracy: finite, loss: finite.optional() }),
  model_info: modelInfoSchema,
  timing: timingSchema,
});

const detailsSchema = z.object({
  label: z.string(),
  reference: z.boolean().optional(),
  hyperparameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
  tta: ttaSchema.optional(),
  routing: routingSchema.optional(),
  attention_routing: routingSchema.optional(),
  decoder_routing: routingSchema.optional(),
});

export const runReportJsonSchema = z.object({
  format: z.literal('wemoe-report/1'),
  title: z.string(),
  created: z.string(),
  machine: machineSchema,
  settings: settingsSchema,
  tasks: z.array(z.string()),
  task_labels: z.record(z.string(), z.string()).optional(),
  task_metrics: z.record(z.string(), z.enum(['accuracy', 'spearman'])).optional(),
  methods: z.record(z.string(), methodJsonSchema),
  details: z.record(z.string(), detailsSchema),
  experiments: z
    .object({ generalization: generalizationSchema.optional(), robustness: robustnessSchema.optional() })
    .optional(),
  total_s: finite.optional(),
});

export type RunReportJson = z.infer<typeof runReportJsonSchema>;
