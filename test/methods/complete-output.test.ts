import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMergeConfig } from '../../src/config/merge-config.js';
import { openCheckpoint, readConfig } from '../../src/io/checkpoint.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { runMerge } from '../../src/methods/run-merge.js';
import { loadClipVision } from '../../src/models/clip-vision/checkpoint.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { REDUCED_TASKS, writeReducedSuiteFiles } from '../demo/reduced-suite.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-complete-output-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeReducedSuiteFiles(root);

/** projection_dim: the reduced suite's vision config.json says 512 (CLIP's default), as the experts' do. */
const P = 512;

/** The text tower and the CLIPModel tensors beside the vision tower: any shapes, mixed dtypes. */
const TEXT: Record<string, Tensor> = {
  'text_model.embeddings.token_embedding.weight': {
    dtype: 'F32',
    shape: [10, 4],
    data: Float32Array.from({ length: 40 }, (_, i) => i / 7),
  },
  'text_model.encoder.layers.0.mlp.fc1.weight': {
    dtype: 'F16',
    shape: [6, 4],
    data: Uint16Array.from({ length: 24 }, (_, i) => 0x3c00 + i),
  },
  'text_model.embeddings.position_ids': {
    dtype: 'I64',
    shape: [1, 5],
    data: BigInt64Array.from([0n, 1n, 2n, 3n, 4n]),
  },
  'text_projection.weight': {
    dtype: 'F32',
    shape: [P, 4],
    data: Float32Array.from({ length: P * 4 }, (_, i) => -i),
  },
  'visual_projection.weight': {
    dtype: 'F32',
    shape: [P, 8],
    data: Float32Array.from({ length: P * 8 }, (_, i) => i * 0.25),
  },
  logit_scale: { dtype: 'F32', shape: [], data: Float32Array.from([2.6592]) },
};

/** Files of a Hub CLIPModel folder besides the weights; the merge output must carry them. */
const FILES: Record<string, string> = {
  'tokenizer.json': '{"version": "1.0", "model": {"type": "BPE"}}',
  'tokenizer_config.json': '{"model_max_length": 77}',
  'vocab.json': '{"a</w>": 0}',
  'merges.txt': '#version: 0.2\na b\n',
  'special_tokens_map.json': '{"bos_token": "<|startoftext|>"}',
  'generation_config.json': '{"_from_model_config": true}',
  'preprocessor_config.json': JSON.stringify({
    crop_size: { height: 32, width: 32 },
    do_center_crop: true,
    do_normalize: true,
    do_resize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    resample: 3,
    size: { shortest_edge: 32 },
  }),
};

/** A full CLIPModel folder: the reduced suite's vision tower under vision_model., a text tower, configs. */
function writeFullClip(dir: string): Record<string, unknown> {
  mkdirSync(dir, { recursive: true });
  const vision = openCheckpoint(join(root, 'pretrained'));
  const tensors = Object.fromEntries(vision.names().map((n) => [n, vision.read(n)]));
  vision.close();
  saveSafetensors(join(dir, 'model.safetensors'), { ...TEXT, ...tensors }, { format: 'pt' });
  const config = {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: P,
    logit_scale_init_value: 2.6592,
    text_config: {
      hidden_size: 4,
      intermediate_size: 6,
      num_hidden_layers: 1,
      vocab_size: 10,
      eos_token_id: 2,
    },
    vision_config: readConfig(join(root, 'pretrained')),
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'pytorch_model.bin'), 'weights of another framework: not copied');
  writeFileSync(join(dir, 'README.md'), 'the upstream model card: replaced by the merge card');
  return config;
}

const full = join(root, 'clip-full');
const fullConfig = writeFullClip(full);
const experts = Object.fromEntries(REDUCED_TASKS.map((t) => [t, join(root, `expert-${t}`)]));
const quiet = { progress: 'none' as const, log: () => {} };

function merge(output: string, pretrained: string, extra: Record<string, unknown> = {}) {
  return runMerge(
    parseMergeConfig({
      method: 'task_arithmetic',
      parameters: { scaling_factor: 0.3 },
      models: { pretrained, experts },
      heads: join(root, 'heads.safetensors'),
      tasks: Object.fromEntries(REDUCED_TASKS.map((t) => [t, { data: join(root, `${t}.safetensors`) }])),
      output: join(root, output),
      ...extra,
    }),
    quiet,
  );
}

function expectCompleteClipModel(out: string, reference: string): void {
  for (const [name, text] of Object.entries(FILES)) expect(readFileSync(join(out, name), 'utf8')).toBe(text);
  expect(readdirSync(out)).not.toContain('pytorch_model.bin');
  expect(readFileSync(join(out, 'README.md'), 'utf8')).not.toContain('upstream');
  expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual(fullConfig);
  const merged = openCheckpoint(out);
  const vision = openCheckpoint(reference);
  try {
    for (const [name, tensor] of Object.entries(TEXT)) expect(merged.read(name)).toEqual(tensor);
    // The vision tower is what the merge gives with a vision-only pre-trained folder of the same weights.
    for (const name of vision.names()) expect(merged.read(name)).toEqual(vision.read(name));
    expect(merged.names().length).toBe(vision.names().length + Object.keys(TEXT).length);
  } finally {
    merged.close();
    vision.close();
  }
  const model = loadClipVision(out);
  expect(model.visualProjection!.data).toEqual(TEXT['visual_projection.weight'].data);
}

describe('merge outputs are complete Hugging Face folders', () => {
  it('static merge of vision experts into a full CLIPModel: text tower, config and files kept', async () => {
    await merge('vision-only', join(root, 'pretrained'));
    const result = await merge('ta-full', full);
    expect(result.plan.join('\n')).toMatch(/6 tensors beside the vision tower .* copied unchanged/);
    expectCompleteClipModel(join(root, 'ta-full'), join(root, 'vision-only'));
  });

  it('sharded outputs carry the text tower too', async () => {
    await merge('ta-sharded', full, { max_shard_size: 2000 });
    const out = join(root, 'ta-sharded');
    expect(readdirSync(out)).toContain('model.safetensors.index.json');
    expect(readdirSync(out)).not.toContain('model.safetensors');
    expectCompleteClipModel(out, join(root, 'vision-only'));
  });

  it('a test-time merge (AdaMerging) of a full CLIPModel stays a full CLIPModel', async () => {
    const ada = { method: 'adamerging', parameters: { steps: 2, batch_size: 4 } };
    await merge('ada-vision-only', join(root, 'pretrained'), ada);
    await merge('ada-full', full, ada);
    expectCompleteClipModel(join(root, 'ada-full'), join(root, 'ada-vision-only'));
  }, 30_000);
});
