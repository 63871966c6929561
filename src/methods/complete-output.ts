/**
 * Makes a merge output a complete Hugging Face folder, as mergekit does: the pre-trained folder's files a
 * user needs to run the model (tokenizer files, preprocessor_config.json, generation_config.json,
 * special_tokens_map.json, ...) are copied, and when the pre-trained model is a full CLIPModel whose
 * experts are vision towers only, the tensors the experts lack (the text tower, text_projection,
 * visual_projection, logit_scale) pass through unchanged, so that the output stays a loadable CLIPModel.
 */
import { copyFileSync, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, createCheckpointWriter, openCheckpoint } from '../io/checkpoint.js';
import { removeStaleFiles } from '../io/sharded.js';
import type { TensorInfo, TensorSource } from '../io/tensor-source.js';
import type { Tensor } from '../tensor/tensor.js';

/** Weights (any framework), their indexes, and files the merge writes itself. */
const NOT_COPIED = [
  /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx|gguf|ot)$/i,
  /\.index\.json$/i,
  /^config\.json$/,
  /^README\.md$/i,
  /^\.gitattributes$/,
];

/** Copies the pre-trained folder's non-weight top-level files that `staging` does not already hold. */
export function copyModelFiles(pretrained: string, staging: string): string[] {
  if (!existsSync(pretrained) || !statSync(pretrained).isDirectory()) return [];
  const copied: string[] = [];
  for (const name of readdirSync(pretrained).sort()) {
    const from = join(pretrained, name);
    if (NOT_COPIED.some((p) => p.test(name)) || existsSync(join(staging, name))) continue;
    if (!statSync(from).isFile()) continue;
    copyFileSync(from, join(staging, name));
    copied.push(name);
  }
  return copied;
}

const TEXT_TOWER = 'text_model.';

/** Tensors outside the vision tower that a full CLIPModel carries beside it. */
function isBesideVisionTower(name: string): boolean {
  return (
    name.startsWith(TEXT_TOWER) ||
    ['text_projection.weight', 'visual_projection.weight', 'logit_scale'].includes(name) ||
    name.endsWith('.position_ids')
  );
}

/**
 * The pre-trained tensors to pass through unchanged: when it is a full CLIPModel (it has a text tower)
 * and no expert has one, those beside the vision tower that no expert holds. Empty otherwise.
 */
export function passThroughNames(pretrained: TensorSource, experts: readonly TensorSource[]): string[] {
  const names = pretrained.names();
  if (!names.some((n) => n.startsWith(TEXT_TOWER))) return [];
  if (experts.some((e) => e.names().some((n) => n.startsWith(TEXT_TOWER)))) return [];
  return names.filter((n) => isBesideVisionTower(n) && !experts.some((e) => e.has(n)));
}

/** `source` without the tensors in `hidden` (what a static merge plans over). */
export function withoutTensors(source: TensorSource, hidden: readonly string[]): TensorSource {
  const drop = new Set(hidden);
  const visible = (name: string): string => {
    if (drop.has(name)) throw new Error(`${source.path}: tensor ${name} is passed through, not merged`);
    return name;
  };
  return {
    path: source.path,
    metadata: source.metadata,
    names: () => source.names().filter((n) => !drop.has(n)),
    has: (name) => !drop.has(name) && source.has(name),
    info: (name): TensorInfo => source.info(visible(name)),
    read: (name): Tensor => source.read(visible(name)),
    readF32: (name) => source.readF32(visible(name)),
    locate: source.locate && ((name) => source.locate!(visible(name))),
    close: () => source.close(),
  };
}

const STAGING = '.with-pretrained-tensors';

/**
 * Rewrites the weights of folder `dir` with `names` of `pretrained` appended (stored dtype unchanged),
 * tensor by tensor, sharded as before.
 */
export function appendPretrainedTensors(
  dir: string,
  pretrained: TensorSource,
  names: readonly string[],
  options: { readonly maxShardBytes?: number } = {},
): void {
  if (names.length === 0) return;
  const current = openCheckpoint(dir);
  const next = join(dir, STAGING);
  try {
    const own = current.names();
    const sink = createCheckpointWriter(
      next,
      [...own.map((n) => current.info(n)), ...names.map((n) => pretrained.info(n))],
      { maxShardBytes: options.maxShardBytes, metadata: { ...current.metadata } },
    );
    try {
      for (const name of own) sink.write(name, current.read(name));
      for (const name of names) sink.write(name, pretrained.read(name));
      sink.finish();
    } catch (error) {
      sink.abort();
      throw error;
    }
  } catch (error) {
    rmSync(next, { recursive: true, force: true });
    throw error;
  } finally {
    current.close();
  }
  removeStaleFiles(dir, new Set());
  for (const file of readdirSync(next)) renameSync(join(next, file), join(dir, file));
  rmSync(next, { recursive: true, force: true });
}

/** config.json of the pre-trained folder, when it has one (a full CLIPModel's config is kept whole). */
export function copyPretrainedConfig(pretrained: string, staging: string): void {
  const from = join(pretrained, CONFIG_FILE);
  if (existsSync(from) && statSync(pretrained).isDirectory()) copyFileSync(from, join(staging, CONFIG_FILE));
}
