import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COEFFICIENTS_FILE } from '../../src/adapt/adamerging.js';
import { wemoeMethod } from '../../src/adapt/wemoe.js';
import { loadMergeConfig } from '../../src/config/merge-config.js';
import { createRandom } from '../../src/data/random.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { runMerge } from '../../src/methods/run-merge.js';
import { loadClipVision, saveClipVision } from '../../src/models/clip-vision/checkpoint.js';
import { parseClipVisionConfig } from '../../src/models/clip-vision/config.js';
import { type ClipParams, randomClipParams } from '../../src/models/clip-vision/params.js';
import { saveHeads } from '../../src/models/heads.js';
import { loadWemoe } from '../../src/models/wemoe/checkpoint.js';
import { float32 } from '../../src/tensor/tensor.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-tt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = parseClipVisionConfig({
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  image_size: 32,
  patch_size: 16,
});
const random = createRandom(3);
const pretrained = randomClipParams(config, 1);
const expert = (scale: number): ClipParams =>
  new Map(
    [...pretrained].map(([n, t]) => [
      n,
      { ...t, data: Float32Array.from(t.data as Float32Array, (x) => x + scale * random.normal()) },
    ]),
  );

function writeFixture(): string {
  saveClipVision(join(root, 'pretrained'), config, pretrained);
  const tasks = ['left', 'right'];
  for (const task of tasks) {
    saveClipVision(join(root, `expert-${task}`), config, expert(0.1));
    const n = 24;
    const images = Uint8Array.from({ length: n * 3 * 32 * 32 }, () => random.int(256));
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
    saveSafetensors(
      join(root, `${task}.safetensors`),
      {
        images: { dtype: 'U8', shape: [n, 3, 32, 32], data: images },
        labels: { dtype: 'U8', shape: [n], data: labels },
      },
      { task, split: 'test', classes: JSON.stringify(['a', 'b', 'c']) },
    );
  }
  saveHeads(join(root, 'heads.safetensors'), {
    kind: 'linear',
    tasks: new Map(
      tasks.map((t) => [
        t,
        {
          weight: float32(
            [3, 8],
            Array.from({ length: 24 }, () => random.normal()),
          ),
          classes: ['a', 'b', 'c'],
        },
      ]),
    ),
  });
  const yaml = `
method: wemoe
parameters: {steps: 4, batch_size: 4, lr: 0.001, checkpoint_every: 2}
models:
  pretrained: pretrained
  experts: {left: expert-left, right: expert-right}
tasks:
  left: {data: left.safetensors}
  right: {data: right.safetensors}
heads: heads.safetensors
output: out/wemoe
`;
  writeFileSync(join(root, 'merge.yaml'), yaml);
  return join(root, 'merge.yaml');
}

describe('test-time methods through wemoe merge', () => {
  const file = writeFixture();
  /** Runs the fixture's merge with `sets` into out/`name`; returns that folder. */
  const mergeInto = async (name: string, sets: string[]): Promise<string> => {
    const out = join(root, 'out', name);
    await runMerge(loadMergeConfig(file, [...sets, `output=${out}`]), { progress: 'none', log: () => {} });
    return out;
  };

  it('wemoe: upscales, adapts the routers, writes a loadable WEMoE folder and its report', async () => {
    const cfg = loadMergeConfig(file, ['parameters.router_depth=1']);
    await runMerge(cfg, { progress: 'none', log: () => {} });
    const out = join(root, 'out', 'wemoe');
    const model = loadWemoe(out);
    expect(model.wemoe.experts).toEqual(['left', 'right']);
    expect(model.wemoe.routerDepth).toBe(1);
    const initBias = model.routers.get('vision_model.encoder.layers.0.mlp.gate.fc.bias')!
      .data as Float32Array;
    expect([...initBias].some((b) => Math.abs(b - 0.3) > 1e-6)).toBe(true); // trained away from λ
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.method).toBe('wemoe');
    expect(report.tta.loss_curve).toHaveLength(4);
    expect(report.model_info.trainable_params).toBe(2 * (2 * 8 + 2));
    expect(existsSync(join(root, 'out', 'wemoe.checkpoints', 'step-4.json'))).toBe(true);
  });

  it('wemoe: upscaled_modules [mlp, self_attn] trains a router for each and writes both', async () => {
    const out = await mergeInto('wemoe-attn', [
      'parameters.router_depth=0',
      'parameters.upscaled_modules=[mlp, self_attn]',
    ]);
    const model = loadWemoe(out);
    expect(model.wemoe.upscaledModules).toEqual(['mlp', 'self_attn']);
    for (const module of ['mlp', 'self_attn']) {
      const gate = model.routers.get(`vision_model.encoder.layers.1.${module}.gate.weight`)!
        .data as Float32Array;
      expect(
        [...gate].some((w) => Math.abs(w - 0.3) > 1e-6),
        module,
      ).toBe(true); // trained away from λ
    }
  });

  it("wemoe: lr_reference_width defaults to the paper's 768, takes null, rejects 0; upscaled_modules defaults to the MLPs", () => {
    expect(wemoeMethod.params.parse({}).lr_reference_width).toBe(768);
    expect(wemoeMethod.params.parse({ lr_reference_width: null }).lr_reference_width).toBeNull();
    expect(() => wemoeMethod.params.parse({ lr_reference_width: 0 })).toThrow();
    expect(wemoeMethod.params.parse({}).upscaled_modules).toEqual(['mlp']);
    expect(wemoeMethod.params.parse({ upscaled_modules: ['mlp', 'self_attn'] }).upscaled_modules).toEqual([
      'mlp',
      'self_attn',
    ]);
    expect(() => wemoeMethod.params.parse({ upscaled_modules: ['attention'] })).toThrow();
    expect(() => wemoeMethod.params.parse({ upscaled_modules: [] })).toThrow();
  });

  it('adamerging: learns clamped layer-wise coefficients and writes the merged model', async () => {
    const out = await mergeInto('ada', ['method=adamerging', 'parameters.lr=0.05']);
    expect(readdirSync(out).sort()).toEqual(
      [
        '.wemoe-output',
        COEFFICIENTS_FILE,
        'README.md',
        'config.json',
        'heads.safetensors',
        'merge_config.yaml',
        'model.safetensors',
        'report.json',
      ].sort(),
    );
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ method: 'adamerging', parameters: { clamp: 'merge', lr: 0.05 } });
    expect(report.tta.loss_curve).toHaveLength(4);
    expect(Object.keys(report.timing).sort()).toEqual(['adapt_s', 'save_s', 'setup_s', 'total_s']);
    const merged = loadClipVision(out);
    const coefficients = JSON.parse(readFileSync(join(out, COEFFICIENTS_FILE), 'utf8'));
    expect(coefficients.granularity).toBe('layer');
    const rows = Object.values(coefficients.coefficients) as number[][];
    expect(rows).toHaveLength(merged.params.size);
    const flat = rows.flat();
    expect(flat.every((l) => l >= 0 && l <= 1)).toBe(true);
    expect(flat.some((l) => Math.abs(l - 0.3) > 1e-3)).toBe(true);
    // The saved weights are θ0 + Σ λ τ with the saved coefficients.
    const name = 'vision_model.post_layernorm.weight';
    const [l0, l1] = coefficients.coefficients[name];
    const left = loadClipVision(join(root, 'expert-left')).params.get(name)!.data as Float32Array;
    const right = loadClipVision(join(root, 'expert-right')).params.get(name)!.data as Float32Array;
    const base = pretrained.get(name)!.data as Float32Array;
    const got = merged.params.get(name)!.data as Float32Array;
    for (let i = 0; i < base.length; i++)
      expect(got[i]).toBeCloseTo(base[i] + l0 * (left[i] - base[i]) + l1 * (right[i] - base[i]), 5);
  });
});
