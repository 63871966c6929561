import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIP_MEAN, CLIP_STD, loadProcessorConfig } from '../../../src/data/preprocess/config.js';
import { WemoeError } from '../../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-processor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A model folder holding the given JSON (or raw text) files. */
function modelFolder(name: string, files: Record<string, unknown>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

describe('loadProcessorConfig', () => {
  it("reads openai/clip-vit-base-patch32's legacy preprocessor_config.json (int size and crop_size)", () => {
    const dir = modelFolder('legacy', {
      'preprocessor_config.json': {
        crop_size: 224,
        do_center_crop: true,
        do_normalize: true,
        do_resize: true,
        feature_extractor_type: 'CLIPFeatureExtractor',
        image_mean: [0.48145466, 0.4578275, 0.40821073],
        image_std: [0.26862954, 0.26130258, 0.27577711],
        resample: 3,
        size: 224,
      },
    });
    const config = loadProcessorConfig(dir);
    expect(config.size).toEqual({ shortestEdge: 224 });
    expect(config.cropSize).toEqual({ height: 224, width: 224 });
    expect(config.resample).toBe('bicubic');
    expect(config.rescaleFactor).toBe(1 / 255);
    expect(config.imageMean).toEqual([...CLIP_MEAN]);
  });

  it('reads the current dict format and explicit switches', () => {
    const dir = modelFolder('current', {
      'preprocessor_config.json': {
        size: { shortest_edge: 336 },
        crop_size: { height: 320, width: 300 },
        do_rescale: false,
        rescale_factor: 0.5,
        do_normalize: false,
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.25, 0.25, 0.25],
        resample: 2,
      },
      'config.json': { image_size: 64 },
    });
    const config = loadProcessorConfig(dir, 32);
    expect(config.size).toEqual({ shortestEdge: 336 });
    expect(config.cropSize).toEqual({ height: 320, width: 300 });
    expect([config.doRescale, config.rescaleFactor, config.doNormalize]).toEqual([false, 0.5, false]);
    expect(config.imageStd).toEqual([0.25, 0.25, 0.25]);
    expect(config.resample).toBe('bilinear');
  });

  it('falls back to CLIP constants sized by imageSize, then config.json image_size, then 224', () => {
    const vision = modelFolder('vision', {
      'config.json': { model_type: 'clip_vision_model', image_size: 32 },
    });
    expect(loadProcessorConfig(vision).size).toEqual({ shortestEdge: 32 });
    expect(loadProcessorConfig(vision, 48).cropSize).toEqual({ height: 48, width: 48 });
    const full = modelFolder('full', { 'config.json': { vision_config: { image_size: 336 } } });
    expect(loadProcessorConfig(full).cropSize).toEqual({ height: 336, width: 336 });
    const plain = loadProcessorConfig();
    expect(plain.size).toEqual({ shortestEdge: 224 });
    expect(plain.imageStd).toEqual([...CLIP_STD]);
  });

  it('names the file and the field that is wrong', () => {
    const badStd = modelFolder('bad-std', { 'preprocessor_config.json': { image_std: [0.2, 0.2] } });
    expect(() => loadProcessorConfig(badStd)).toThrow(WemoeError);
    expect(() => loadProcessorConfig(badStd)).toThrow(/bad-std\/preprocessor_config\.json: image_std: /);
    const lanczos = modelFolder('lanczos', { 'preprocessor_config.json': { resample: 1 } });
    expect(() => loadProcessorConfig(lanczos)).toThrow(
      /preprocessor_config\.json: resample: expected 2 .* got 1/,
    );
    const broken = modelFolder('broken', { 'preprocessor_config.json': '{ nope' });
    expect(() => loadProcessorConfig(broken)).toThrow(/broken\/preprocessor_config\.json: cannot read JSON/);
    const badSize = modelFolder('bad-size', { 'config.json': { image_size: 'big' } });
    expect(() => loadProcessorConfig(badSize)).toThrow(
      /config\.json: image_size: expected a positive integer/,
    );
    expect(() => loadProcessorConfig(undefined, 0)).toThrow(/imageSize: expected a positive integer, got 0/);
  });
});
