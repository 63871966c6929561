/**
 * `runMerge(config)`: one merge from a resolved config to an output folder holding the model
 * (model.safetensors, sharded past max_shard_size), config.json copied from the pretrained model, the
 * heads file when the config names one, merge_config.yaml, report.json, a model card README.md, and the
 * pretrained folder's other non-weight files (a full CLIPModel's text tower passes through: complete-output).
 * CLIP vision and T5 models alike; test-time methods save what they adapted (a plain model, or WEMoE).
 */
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestTimeMethod } from '../adapt/test-time-method.js';
import { WemoeError } from '../errors.js';
import { checkOutputApart, openAtomicOutput } from '../io/atomic-output.js';
import { checkModelFolder, createCheckpointWriter } from '../io/checkpoint.js';
import { writeJsonAtomic } from '../io/json-file.js';
import { writeTextFile } from '../io/text-file.js';
import type { StaticMergeMethod } from '../merge/method.js';
import { type MergePlan, planMerge } from '../merge/plan.js';
import { createProgressReporter } from '../merge/progress.js';
import { type OutputDType, outputEntries, streamMerge } from '../merge/stream.js';
import { saveMergedModel } from '../models/merged-model.js';
import type { ProgressMode } from '../util/progress.js';
import { appendPretrainedTensors, copyModelFiles, copyPretrainedConfig } from './complete-output.js';
import { closeSources, openSources } from './merge-sources.js';
import { modelCard } from './model-card.js';
import { getMethod, type MergeMethod, parseMethodParams } from './registry.js';
import { type MergeConfig, maxShardBytes, mergeConfigToYaml } from './resolved-config.js';
import { checkpointDir, checkRunKey, runKey } from './run-key.js';
import { runMethod } from './run-method.js';
import { checkTestTimeRun } from './test-time-check.js';
import { loadTestTimeInputs } from './test-time-inputs.js';

export const HEADS_FILE = 'heads.safetensors';
export const RESOLVED_CONFIG_FILE = 'merge_config.yaml';

export interface RunMergeOptions {
  /** Validate and print the plan; write nothing. */
  readonly dryRun?: boolean;
  /** 'auto' (default): a progress bar on a terminal, plain lines otherwise. */
  readonly progress?: ProgressMode;
  /** Where plan and progress lines go (default: stderr). */
  readonly log?: (line: string) => void;
}

/** report.json (FusionBench's keys method, model_info, timing; trainable_params = what the method trained). */
export interface MergeReport {
  readonly method: string;
  readonly parameters: Record<string, unknown>;
  readonly models: { readonly pretrained: string; readonly experts: Record<string, string> };
  readonly model_info: { readonly trainable_params: number; readonly all_params: number };
  readonly tensors?: { readonly merged: number; readonly copied: number; readonly float_params: number };
  readonly output_dtype: string;
  /** Full read passes over the models before the merge pass (Ties' global threshold). */
  readonly passes?: number;
  /** Seconds. */
  readonly timing: Record<string, number>;
  readonly [key: string]: unknown;
}

export interface MergeResult {
  readonly output: string;
  readonly dryRun: boolean;
  /** The plan lines printed (and returned) by a dry run; also logged for a real run. */
  readonly plan: readonly string[];
  readonly report?: MergeReport;
}

const DTYPES: Record<MergeConfig['dtype'], OutputDType> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

function checkFiles(config: MergeConfig): void {
  if (config.heads !== undefined && !(existsSync(config.heads) && statSync(config.heads).isFile())) {
    throw new WemoeError(`${config.source ?? 'merge config'}: heads: ${config.heads} is not a file`);
  }
  const models = [config.models.pretrained, ...Object.values(config.models.experts)];
  for (const model of models) checkModelFolder(model);
  checkOutputApart(config.output, config.heads === undefined ? models : [...models, config.heads]);
}

function describePlan(config: MergeConfig, method: MergeMethod, plan?: MergePlan): string[] {
  const lines = [
    `method: ${method.name} (${method.kind}) ${JSON.stringify(config.parameters)}`,
    `pretrained: ${config.models.pretrained}`,
    ...Object.entries(config.models.experts).map(([task, path]) => `expert ${task}: ${path}`),
  ];
  if (plan) {
    lines.push(
      `tensors: ${plan.floatTensors.length} merged (${plan.floatParams.toLocaleString('en-US')} parameters), ` +
        `${plan.copiedTensors.length} copied from the pretrained model`,
    );
  }
  lines.push(`output: ${config.output} (${config.dtype}, shards of at most ${config.max_shard_size})`);
  if (config.heads) lines.push(`heads: ${config.heads}`);
  return lines;
}

/** Runs the merge the config describes and writes the output folder (or, with dryRun, only checks). */
export async function runMerge(config: MergeConfig, options: RunMergeOptions = {}): Promise<MergeResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const method = getMethod(config.method);
  const resolved = {
    ...config,
    parameters: parseMethodParams(method, config.parameters, config.source ?? 'merge config') as Record<
      string,
      unknown
    >,
  };
  checkFiles(resolved);
  if (method.kind === 'test-time') return runTestTime(resolved, method, options, log);
  return runStatic(resolved, method, options, log);
}

async function runStatic(
  config: MergeConfig,
  method: StaticMergeMethod,
  options: RunMergeOptions,
  log: (line: string) => void,
): Promise<MergeResult> {
  const start = performance.now();
  const sources = openSources(config);
  try {
    const plan = planMerge(sources);
    const lines = describePlan(config, method, plan);
    if (sources.passThrough.length > 0)
      lines.push(
        `${sources.passThrough.length} tensors beside the vision tower (text tower, projections) copied unchanged from the pretrained CLIPModel`,
      );
    for (const line of lines) log(line);
    if (options.dryRun) return { output: config.output, dryRun: true, plan: lines };
    const output = openAtomicOutput(config.output, { log });
    const staging = output.staging;
    try {
      const checked = performance.now();
      const dtype = DTYPES[config.dtype];
      const merger = method.createMerger(config.parameters, {
        tasks: plan.tasks,
        floatParams: plan.floatParams,
        seed: config.seed,
      });
      const sink = createCheckpointWriter(staging, outputEntries(plan, dtype), {
        maxShardBytes: maxShardBytes(config),
        metadata: { wemoe_merge_method: method.name },
      });
      const progress = createProgressReporter(options.progress ?? 'auto', log);
      const streamed = streamMerge(sources, plan, merger, sink, {
        outputDtype: dtype,
        onProgress: progress.onProgress,
      });
      progress.done();
      appendPretrainedTensors(staging, sources.pretrainedAll, sources.passThrough, {
        maxShardBytes: maxShardBytes(config),
      });
      copyPretrainedConfig(config.models.pretrained, staging);
      const timing = {
        check_s: (checked - start) / 1000,
        observe_s: streamed.observeSeconds,
        merge_s: streamed.mergeSeconds,
        total_s: (performance.now() - start) / 1000,
      };
      const report: MergeReport = {
        method: method.name,
        parameters: config.parameters,
        models: config.models,
        model_info: { trainable_params: 0, all_params: plan.allParams },
        tensors: {
          merged: plan.floatTensors.length,
          copied: plan.copiedTensors.length,
          float_params: plan.floatParams,
        },
        output_dtype: config.dtype,
        passes: streamed.passes,
        timing,
      };
      writeCommonFiles(staging, config, method, report, plan);
      output.commit();
      log(`wrote ${config.output} in ${timing.total_s.toFixed(1)} s`);
      return { output: config.output, dryRun: false, plan: lines, report };
    } catch (error) {
      output.discard();
      throw error;
    }
  } finally {
    closeSources(sources);
  }
}

/** Loads the inputs once, adapts in memory, saves the model once (checkpoints in `<output>.checkpoints/`). */
async function runTestTime(
  config: MergeConfig,
  method: TestTimeMethod,
  options: RunMergeOptions,
  log: (line: string) => void,
): Promise<MergeResult> {
  const lines = describePlan(config, method);
  if (options.dryRun) lines.push(...(await checkTestTimeRun(config, method)));
  for (const line of lines) log(line);
  if (options.dryRun) return { output: config.output, dryRun: true, plan: lines };
  const start = performance.now();
  const output = openAtomicOutput(config.output, { log });
  const staging = output.staging;
  try {
    checkRunKey(checkpointDir(config.output), runKey(config), { resume: config.parameters.resume === true });
    const inputs = await loadTestTimeInputs(config, method.name);
    const loadSeconds = (performance.now() - start) / 1000;
    const outcome = await runMethod(method.name, config.parameters, inputs, {
      log,
      progress: options.progress,
      checkpointDir: checkpointDir(config.output),
      where: config.source ?? 'merge config',
    });
    const saving = performance.now();
    saveMergedModel(staging, outcome.model, maxShardBytes(config));
    if (outcome.model.kind === 'clip') keepFullClipModel(config, staging);
    // A plain T5 merge keeps the pre-trained config.json whole (its keys beyond the architecture's).
    if (outcome.model.kind === 't5') copyPretrainedConfig(config.models.pretrained, staging);
    for (const [file, json] of Object.entries(outcome.files ?? {}))
      writeJsonAtomic(join(staging, file), json);
    const tta = outcome.tta!;
    const setupSeconds = loadSeconds + outcome.setupSeconds;
    const report: MergeReport = {
      tta: { steps: tta.steps, stopped_early: tta.stoppedEarly, loss_curve: tta.lossCurve },
      method: method.name,
      parameters: config.parameters,
      models: config.models,
      model_info: { trainable_params: outcome.trainableParams, all_params: outcome.allParams },
      output_dtype: config.dtype,
      timing: {
        setup_s: setupSeconds,
        adapt_s: tta.seconds,
        save_s: (performance.now() - saving) / 1000,
        total_s: (performance.now() - start) / 1000,
      },
    };
    writeCommonFiles(staging, config, method, report);
    output.commit();
    log(`wrote ${config.output} in ${report.timing.total_s.toFixed(1)} s`);
    return { output: config.output, dryRun: false, plan: lines, report };
  } catch (error) {
    output.discard();
    throw error;
  }
}

/**
 * A merged vision tower saved from memory, made a full CLIPModel again when the pre-trained model is one:
 * its text tower and projections appended unchanged, its config.json (the vision config is the same).
 */
function keepFullClipModel(config: MergeConfig, staging: string): void {
  const sources = openSources(config);
  try {
    if (sources.passThrough.length === 0) return;
    appendPretrainedTensors(staging, sources.pretrainedAll, sources.passThrough, {
      maxShardBytes: maxShardBytes(config),
    });
    copyPretrainedConfig(config.models.pretrained, staging);
  } finally {
    closeSources(sources);
  }
}

/** The heads copy, merge_config.yaml, report.json, README.md and the pre-trained folder's other files. */
function writeCommonFiles(
  staging: string,
  config: MergeConfig,
  method: MergeMethod,
  report: MergeReport,
  plan?: MergePlan,
): void {
  if (config.heads !== undefined) copyFileSync(config.heads, join(staging, HEADS_FILE));
  writeTextFile(join(staging, RESOLVED_CONFIG_FILE), mergeConfigToYaml(config));
  writeJsonAtomic(join(staging, 'report.json'), report);
  const card = modelCard(config, method, {
    allParams: report.model_info.all_params,
    mergedTensors: plan?.floatTensors.length ?? 0,
    copiedTensors: plan?.copiedTensors.length ?? 0,
    totalSeconds: report.timing.total_s ?? 0,
  });
  writeTextFile(join(staging, 'README.md'), card);
  copyModelFiles(config.models.pretrained, staging);
}
