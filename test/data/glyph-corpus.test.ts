import { describe, expect, it } from 'vitest';
import { glyphClassTexts, renderGlyphCorpus } from '../../scripts/suite-models/glyph-corpus.js';
import { initialParams } from '../../scripts/suite-models/pretrain.js';
import { pretrainSupervised } from '../../scripts/suite-models/supervised-pretrain.js';
import { clipVisionConfig } from '../../src/models/clip-vision/config.js';
import { needs } from '../support/system-deps.js';

const IMAGE = 3 * 32 * 32;

describe('renderGlyphCorpus', () => {
  it('holds none of the suite’s classes: no upper-case Latin, digits, Greek lower case or hiragana', () => {
    const texts = glyphClassTexts();
    expect(texts).toHaveLength(936);
    expect(new Set(texts).size).toBe(texts.length);
    const suiteLike = /[A-Z0-9\u03b1-\u03c9\u3041-\u309f]/u;
    expect(texts.filter((t) => suiteLike.test(t))).toEqual([]);
  });

  it('interleaves the classes and depends only on the seed', needs('suite-fonts'), () => {
    const a = renderGlyphCorpus(1, 5);
    const b = renderGlyphCorpus(1, 5);
    const c = renderGlyphCorpus(1, 6);
    expect(a.count).toBe(936);
    expect(Array.from(a.labels.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(Buffer.compare(a.images, b.images)).toBe(0);
    expect(Buffer.compare(a.images, c.images)).not.toBe(0);
  });

  it('draws a visible glyph on every image (no blank canvas)', needs('suite-fonts'), () => {
    const { images, count } = renderGlyphCorpus(1, 9);
    for (let i = 0; i < count; i++) {
      const image = images.subarray(i * IMAGE, (i + 1) * IMAGE);
      let min = 255;
      let max = 0;
      for (const v of image) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(max - min, `image ${i}`).toBeGreaterThan(40);
    }
  });
});

describe('pretrainSupervised', () => {
  it('learns a labelled corpus (four textures) and updates the encoder in place', async () => {
    const config = clipVisionConfig({
      imageSize: 32,
      patchSize: 8,
      hiddenSize: 16,
      intermediateSize: 32,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      numChannels: 3,
      layerNormEps: 1e-5,
      hiddenAct: 'quick_gelu',
      projectionDim: 16,
    });
    // Patterns that survive the views (crops, small rotations, inversion, grayscale, tints).
    const patterns = [
      (_x: number, y: number) => (y >> 1) & 1, // horizontal stripes
      (x: number) => (x >> 1) & 1, // vertical stripes
      (x: number, y: number) => ((x >> 2) ^ (y >> 2)) & 1, // checkerboard
      () => 0, // flat
    ];
    const count = 64;
    const images = new Uint8Array(count * IMAGE);
    const labels = Int32Array.from({ length: count }, (_, i) => i % 4);
    for (let i = 0; i < count; i++) {
      for (let p = 0; p < 1024; p++) {
        const v = patterns[i % 4](p % 32, p >> 5) ? 220 : 40;
        for (let c = 0; c < 3; c++) images[i * IMAGE + c * 1024 + p] = v;
      }
    }
    const encoder = initialParams(config, 3);
    const before = Float32Array.from(encoder.get('vision_model.post_layernorm.weight')!.data as Float32Array);
    const lines: string[] = [];
    const settings = { steps: 100, batchSize: 16, lr: 3e-3, warmup: 5, weightDecay: 0, maxGradNorm: 1 };
    const out = await pretrainSupervised(config, encoder, { images, labels, classes: 4, count }, settings, {
      seed: 1,
      threads: 1,
      log: (line) => lines.push(line),
    });
    expect(out).toBe(encoder);
    expect(encoder.get('vision_model.post_layernorm.weight')!.data).not.toEqual(before);
    const last = /batch accuracy ([\d.]+)%/.exec(lines.at(-1)!);
    expect(Number(last![1])).toBeGreaterThan(90);
  });
});
