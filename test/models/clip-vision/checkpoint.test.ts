import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../src/io/checkpoint.js';
import { saveSafetensors } from '../../../src/io/safetensors-writer.js';
import { loadClipVision, saveClipVision } from '../../../src/models/clip-vision/checkpoint.js';
import { clipVisionConfigJson, parseClipVisionConfig } from '../../../src/models/clip-vision/config.js';
import { randomClipParams } from '../../../src/models/clip-vision/params.js';
import { convertTensor } from '../../../src/tensor/convert.js';
import { float32, type Tensor } from '../../../src/tensor/tensor.js';

const config = parseClipVisionConfig({
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  image_size: 4,
  patch_size: 2,
});
const params = randomClipParams(config, 3);
const root = mkdtempSync(join(tmpdir(), 'wemoe-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder with the given tensors and config.json. */
function folder(
  name: string,
  tensors: Record<string, Tensor>,
  configJson: object = clipVisionConfigJson(config),
): string {
  const dir = join(root, name);
  saveClipVision(dir, config, params);
  saveSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson));
  return dir;
}

describe('CLIP vision checkpoints', () => {
  it('saves and loads a folder bit-exactly', () => {
    const dir = join(root, 'plain');
    saveClipVision(dir, config, params);
    const model = loadClipVision(dir);
    expect(model.config).toEqual(config);
    expect([...model.params.keys()]).toEqual([...params.keys()]);
    for (const [name, t] of params) expect(model.params.get(name)!.data).toEqual(t.data);
    expect(model.visualProjection).toBeUndefined();
  });

  it('saves F16 and BF16 folders that load as the rounded F32 values', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const dir = join(root, `half-${dtype}`);
      saveClipVision(dir, config, params, { dtype });
      const source = openCheckpoint(dir);
      try {
        expect(source.names().every((name) => source.info(name).dtype === dtype)).toBe(true);
      } finally {
        source.close();
      }
      const model = loadClipVision(dir);
      for (const [name, t] of params) {
        const rounded = convertTensor(convertTensor(t, dtype), 'F32');
        expect(model.params.get(name)!.data, name).toEqual(rounded.data);
      }
    }
  });

  it('accepts unprefixed keys and a full CLIPModel checkpoint with its projection', () => {
    const unprefixed = Object.fromEntries([...params].map(([n, t]) => [n.slice('vision_model.'.length), t]));
    expect(loadClipVision(folder('unprefixed', unprefixed)).params.size).toBe(params.size);
    const full = {
      ...Object.fromEntries(params),
      'vision_model.embeddings.position_ids': float32([1, 5]),
      'text_model.embeddings.token_embedding.weight': float32([3, 8]),
      'visual_projection.weight': float32(
        [6, 8],
        Array.from({ length: 48 }, (_, i) => i),
      ),
      logit_scale: float32([], [4.6]),
    };
    const fullJson = { model_type: 'clip', projection_dim: 6, vision_config: clipVisionConfigJson(config) };
    const model = loadClipVision(folder('full', full, fullJson));
    expect(model.visualProjection!.shape).toEqual([6, 8]);
    expect(model.visualProjection!.data[47]).toBe(47);
    expect(model.logitScale!.data[0]).toBeCloseTo(4.6, 6);
    expect(model.config.projectionDim).toBe(6);
  });

  it('names missing, unexpected and wrongly shaped keys in one error', () => {
    const tensors = Object.fromEntries(params);
    delete tensors['vision_model.post_layernorm.bias'];
    tensors['vision_model.encoder.layers.0.mlp.fc1.bias'] = float32([13]);
    tensors['vision_model.encoder.layers.5.mlp.fc1.bias'] = float32([12]);
    const dir = folder('broken', tensors);
    expect(() => loadClipVision(dir)).toThrow(
      `${join(dir, 'model.safetensors')}: CLIP vision parameters do not match the config; ` +
        '1 missing: vision_model.post_layernorm.bias; 1 unexpected: vision_model.encoder.layers.5.mlp.fc1.bias; ' +
        '1 with wrong shape: vision_model.encoder.layers.0.mlp.fc1.bias is [13], expected [12]',
    );
  });

  it('rejects mixed key layouts and a missing config', () => {
    const mixed = { ...Object.fromEntries(params), 'post_layernorm.bias': float32([8]) };
    expect(() => loadClipVision(folder('mixed', mixed))).toThrow(/1 unexpected: post_layernorm.bias$/);
    const both = { ...mixed, 'embeddings.patch_embedding.weight': float32([8, 3, 2, 2]) };
    expect(() => loadClipVision(folder('both', both))).toThrow(/not a CLIP vision checkpoint: has both/);
    expect(() => loadClipVision(join(root, 'nowhere'))).toThrow(/nowhere: cannot read \(ENOENT\)/);
  });
});
