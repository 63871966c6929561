/**
 * A merge config as runMerge takes it: validated, the method's parameters with their defaults, paths
 * absolute. config/merge-config.ts reads one from YAML; code may build one directly (parseMergeConfig).
 */
import { stringify as stringifyYaml } from 'yaml';
import { WemoeError } from '../errors.js';
import { parseByteSize } from '../util/byte-size.js';

export const OUTPUT_DTYPES = ['f32', 'f16', 'bf16'] as const;
export type OutputDTypeName = (typeof OUTPUT_DTYPES)[number];

export interface MergeConfig {
  readonly method: string;
  readonly parameters: Record<string, unknown>;
  readonly models: { readonly pretrained: string; readonly experts: Record<string, string> };
  /** Per task: its data (a folder, a file or `suite:<task>`) and split; extra keys are kept for the methods. */
  readonly tasks?: Record<
    string,
    { readonly data: string; readonly split: string; readonly [key: string]: unknown }
  >;
  /** Tasks evaluated but not merged (their data and heads only; no expert). */
  readonly unseen_tasks?: string[];
  readonly heads?: string;
  readonly output: string;
  readonly seed: number;
  /** dtype of the merged floating-point tensors. */
  readonly dtype: OutputDTypeName;
  /** Shard the output past this size: bytes or "5GB"-style. */
  readonly max_shard_size: number | string;
  /** The config file it was read from, when there is one (for error messages). */
  readonly source?: string;
}

/** The config as YAML (written next to the merged model), without its source file's name. */
export function mergeConfigToYaml(config: MergeConfig): string {
  const { source: _source, ...plain } = config;
  return stringifyYaml(plain);
}

/** Bytes of the config's max_shard_size. */
export function maxShardBytes(config: MergeConfig): number {
  const bytes = parseByteSize(config.max_shard_size);
  if (bytes === undefined)
    throw new WemoeError(
      `${config.source ?? 'merge config'}: max_shard_size: ${config.max_shard_size}: expected a positive size such as 5GB`,
    );
  return bytes;
}
