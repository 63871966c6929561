import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMergeConfig } from '../../src/config/merge-config.js';
import { estimateRun, estimateT5Run } from '../../src/methods/estimate.js';
import { runMerge } from '../../src/methods/run-merge.js';
import { CLIP_VIT_B_32, CLIP_VIT_L_14 } from '../../src/models/clip-vision/config.js';
import { parseT5Config } from '../../src/models/t5/config.js';
import { t5ParamCount } from '../../src/models/t5/params.js';
import { REDUCED_TASKS, writeReducedSuiteFiles } from '../demo/reduced-suite.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-dry-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeReducedSuiteFiles(root);

const MiB = 2 ** 20;

function wemoeConfig(extra: Record<string, unknown> = {}) {
  return parseMergeConfig({
    root,
    method: 'wemoe',
    parameters: { steps: 1000, batch_size: 16 },
    models: {
      pretrained: 'pretrained',
      experts: Object.fromEntries(REDUCED_TASKS.map((t) => [t, `expert-${t}`])),
    },
    tasks: Object.fromEntries(REDUCED_TASKS.map((t) => [t, { data: `${t}.safetensors` }])),
    heads: 'heads.safetensors',
    output: 'out',
    ...extra,
  });
}

describe('wemoe merge --dry-run of a test-time method', () => {
  it('checks checkpoints, heads and every task, prints the estimate, writes nothing', async () => {
    const lines: string[] = [];
    const result = await runMerge(wemoeConfig(), {
      dryRun: true,
      progress: 'none',
      log: (l) => lines.push(l),
    });
    expect(result.dryRun).toBe(true);
    expect(lines).toContain('checked: 4 checkpoints agree (39 tensors, shapes and dtypes)');
    expect(lines).toContain(`checked: task dark: 24 images, 3 classes (${join(root, 'dark.safetensors')})`);
    expect(lines.at(-1)).toMatch(
      /^estimate .*: \d+\.\d s per adaptation step on \d+ cores, .* for 1000 steps; peak memory \d+\.\d GB/,
    );
  });

  it('fails in one line on a missing data file, a head of another size, a mismatched expert', async () => {
    const dry = (config: ReturnType<typeof wemoeConfig>) =>
      runMerge(config, { dryRun: true, progress: 'none', log: () => {} });
    await expect(
      dry(
        wemoeConfig({
          tasks: {
            dark: { data: 'nope' },
            mid: { data: 'mid.safetensors' },
            bright: { data: 'bright.safetensors' },
          },
        }),
      ),
    ).rejects.toThrow(/task dark: data \S+nope not found/);
    writeFileSync(join(root, 'bad.parquet'), 'not parquet');
    await expect(
      dry(
        wemoeConfig({
          tasks: {
            dark: { data: 'bad.parquet' },
            mid: { data: 'mid.safetensors' },
            bright: { data: 'bright.safetensors' },
          },
        }),
      ),
    ).rejects.toThrow(/bad\.parquet: not a readable parquet file/);
    await expect(
      dry(
        wemoeConfig({
          models: {
            pretrained: 'pretrained',
            experts: { dark: 'expert-dark', mid: 'heads.safetensors', bright: 'expert-bright' },
          },
        }),
      ),
    ).rejects.toThrow(/^merge: the models do not match/);
  });
});

/** Parameters of the ViT-B/32 vision tower the estimate counts (encoder, embeddings, layer norms). */
const CLIP_B32_PARAMS = 87_456_000;

describe('estimateRun', () => {
  const b32 = { clip: CLIP_VIT_B_32, experts: 8, batch: 16, steps: 1000, threads: 1, upscaled: ['mlp'] };

  it('reproduces the measured full ViT-B/32 WEMoE step it is calibrated on (time within 2%, memory 5%)', () => {
    const perImage = estimateRun(b32);
    expect(perImage.secondsPerStep).toBeCloseTo(96.6, 0); // CPU-seconds: one thread
    // Measured peaks of whole runs: the experts are held (one at a time) only while the model is built.
    expect(perImage.peakBytes / MiB / 5298).toBeCloseTo(1, 1);
    expect(perImage.expertBytes).toBe(CLIP_B32_PARAMS * 4); // one expert
    const reduced = estimateRun({ ...b32, batchReduce: true });
    expect(reduced.peakBytes / MiB / 4413).toBeCloseTo(1, 1);
  });

  it('holds every expert while AdaMerging builds its task vectors, and none during its steps', () => {
    const ada = estimateRun({ ...b32, upscaled: undefined });
    expect(ada.expertBytes).toBe(8 * CLIP_B32_PARAMS * 4);
    // The setup peak: the pre-trained model, eight task vectors and eight experts.
    expect(ada.peakBytes).toBe(150 * MiB + (CLIP_B32_PARAMS + 2 * 8 * CLIP_B32_PARAMS) * 4);
  });

  it('scales with threads, width and depth', () => {
    expect(estimateRun({ ...b32, threads: 2 }).secondsPerStep).toBeCloseTo(
      estimateRun(b32).secondsPerStep / 2,
      6,
    );
    const large = estimateRun({ ...b32, clip: CLIP_VIT_L_14 });
    // ViT-L/14 at 224 px: 257 tokens, ~3.5× the parameters: ~15× a B/32 step's compute.
    expect(large.secondsPerStep / estimateRun(b32).secondsPerStep).toBeGreaterThan(12);
    expect(large.secondsPerStep / estimateRun(b32).secondsPerStep).toBeLessThan(20);
    expect(large.peakBytes).toBeGreaterThan(estimateRun(b32).peakBytes * 3);
  });
});

describe('estimateT5Run', () => {
  // flan-t5-base: d_model 768, d_kv 64, 12 heads, d_ff 2048, 12 + 12 blocks, gated-gelu, 32128 tokens.
  const base = parseT5Config({
    model_type: 't5',
    d_model: 768,
    d_kv: 64,
    num_heads: 12,
    d_ff: 2048,
    num_layers: 12,
    feed_forward_proj: 'gated-gelu',
    tie_word_embeddings: false,
  });
  const run = { t5: base, tokens: 128, experts: 8, batch: 16, steps: 1000, threads: 1, wemoe: true };

  it("counts the objective's FLOPs: the encoder over the prompt, one decoder step, lm_head", () => {
    const [d, s, f] = [768, 128, 2048];
    const attention = 4 * d * d;
    const feedForward = 3 * d * f;
    const encoder = 2 * s * 12 * (attention + feedForward) + 4 * 12 * s * s * d;
    const decoder = 12 * (2 * (2 * attention + feedForward) + 4 * s * d * d) + 2 * d * 32128;
    const merge = 2 * 16 * 8 * feedForward * 24;
    const flops = 8 * 3 * (16 * (encoder + decoder) + merge);
    expect(estimateT5Run(run).secondsPerStep).toBeCloseTo(flops / 37.77e9, 6);
  });

  it('batch_reduce keeps one merged copy; AdaMerging merges the whole model once per batch', () => {
    const perSample = estimateT5Run(run);
    const reduced = estimateT5Run({ ...run, batchReduce: true });
    expect(reduced.peakBytes).toBeLessThan(perSample.peakBytes);
    expect(reduced.secondsPerStep).toBeLessThan(perSample.secondsPerStep);
    const ada = estimateT5Run({ ...run, wemoe: false });
    expect(ada.expertBytes).toBe(perSample.expertBytes);
    expect(ada.expertBytes).toBe(8 * t5ParamCount(base) * 4);
  });
});
