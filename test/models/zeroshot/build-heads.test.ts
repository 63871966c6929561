import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHeadsConfig } from '../../../src/config/heads-config.js';
import { normalSampler } from '../../../src/models/clip-vision/params.js';
import { ClipVisionRunner } from '../../../src/models/clip-vision/runner.js';
import { loadHeads } from '../../../src/models/heads.js';
import { loadClipTokenizer } from '../../../src/models/tokenizers/clip.js';
import { runHeads } from '../../../src/models/zeroshot/build-heads.js';
import { builtinTask, builtinTaskNames } from '../../../src/models/zeroshot/builtin.js';
import { float32 } from '../../../src/tensor/tensor.js';
import { writeTinyClipModel } from '../clip-text/tiny-clip-model.js';
import { referenceForward } from '../clip-vision/reference-forward.js';
import { referenceLogits, referenceRows } from './reference-heads.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-zeroshot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const model = join(root, 'clip');
const { vision, text, params } = writeTinyClipModel(model, { tokenizer: 'vocab.json' });

const CLASSES = ['cat', 'hello world', "it's a café"];
const TEMPLATES = ['a photo of a {}.', '{}', 'a {} — a {}!'];
const silent = { progress: 'none' as const, log: () => {}, threads: 1 };

function config(tasks: Record<string, unknown>, output = join(root, 'heads.safetensors')) {
  return parseHeadsConfig({ model, output, tasks, batch_size: 4 }, { source: 'heads.yaml', baseDir: root });
}

describe('wemoe heads: zero-shot heads from a full CLIPModel', () => {
  it('builds rows as the float64 reference does, and logits that match it', async () => {
    const result = await runHeads(config({ pets: { classes: CLASSES, templates: TEMPLATES } }), silent);
    const heads = loadHeads(join(root, 'heads.safetensors'), vision.hiddenSize);
    expect(heads.kind).toBe('clip_zeroshot');
    const head = heads.tasks.get('pets')!;
    expect(head.classes).toEqual(CLASSES);
    expect(head.weight.shape).toEqual([3, 8]);
    expect(result.plan).toContain('task pets: 3 classes (list) × 3 templates (list) = 9 prompts');

    const tokenizer = loadClipTokenizer(model);
    const ids = await Promise.all(
      CLASSES.map((c) => tokenizer.encode(TEMPLATES.map((t) => t.replaceAll('{}', c)))),
    );
    const rows = referenceRows(text, params, ids);
    const got = head.weight.data as Float32Array;
    rows.forEach((row, k) => {
      row.forEach((x, e) => {
        expect(Math.abs(got[k * 8 + e] - x)).toBeLessThan(2e-6);
      });
    });
    expect(heads.logitScale).toBeCloseTo(Math.log(100), 6);

    // Logits of images through the vision tower and the heads, against the float64 reference.
    const normal = normalSampler(4);
    const pixels = float32([2, 3, 8, 8], Array.from({ length: 384 }, normal));
    const visionParams = new Map([...params].filter(([n]) => n.startsWith('vision_model.')));
    const runner = ClipVisionRunner.create({ config: vision, params: visionParams }, { threads: 1, heads });
    const out = await runner.forward(pixels, 'pets');
    await runner.dispose();
    for (let b = 0; b < 2; b++) {
      const image = Float64Array.from((pixels.data as Float32Array).subarray(b * 192, (b + 1) * 192));
      const pooled = referenceForward(vision, visionParams, image).poolerOutput;
      const expected = referenceLogits(pooled, params.get('visual_projection.weight')!, Math.log(100), rows);
      expected.forEach((x, k) => {
        expect(Math.abs((out.logits!.data as Float32Array)[b * 3 + k] - x)).toBeLessThan(1e-3);
      });
    }
  });

  it('reads classes and templates from text files and the built-in lists; a dry run writes nothing', async () => {
    writeFileSync(join(root, 'classes.txt'), 'zero\r\none\n\ntwo\n');
    const output = join(root, 'dry.safetensors');
    const result = await runHeads(
      config({ digits: { classes: 'classes.txt', templates: 'builtin:mnist' } }, output),
      { ...silent, dryRun: true },
    );
    expect(result.plan).toContain(
      `task digits: 3 classes (${join(root, 'classes.txt')}) × 1 templates (builtin mnist) = 3 prompts`,
    );
    expect(result.heads).toBeUndefined();
    expect(existsSync(output)).toBe(false);
  });

  it("ships the paper's eight tasks and FusionBench's 20-task suite", () => {
    expect(builtinTaskNames()).toHaveLength(20);
    const counts = Object.fromEntries(
      ['sun397', 'stanford-cars', 'resisc45', 'eurosat', 'svhn', 'gtsrb', 'mnist', 'dtd'].map((t) => [
        t,
        builtinTask(t).classes.length,
      ]),
    );
    expect(counts).toEqual({
      sun397: 397,
      'stanford-cars': 196,
      resisc45: 45,
      eurosat: 10,
      svhn: 10,
      gtsrb: 43,
      mnist: 10,
      dtd: 47,
    });
    expect(builtinTask('mnist').templates).toEqual(['a photo of the number: "{}".']);
    expect(builtinTask('tanganke/stanford_cars').classes[0]).toBe('AM General Hummer SUV 2000');
    expect(builtinTask('cifar100').classes).toHaveLength(100);
    expect(() => builtinTask('imagenet')).toThrow(
      /no built-in class names and templates for task "imagenet"; built-in tasks: cifar10, cifar100/,
    );
  });

  it('fails with one line naming the task and what is wrong', async () => {
    await expect(runHeads(config({ t: { classes: ['a'], templates: ['a photo'] } }), silent)).rejects.toThrow(
      'heads.yaml: tasks.t.templates: "a photo" has no {} (where the class name goes)',
    );
    await expect(
      runHeads(config({ t: { classes: 'missing.txt', templates: ['{}'] } }), silent),
    ).rejects.toThrow(`heads.yaml: tasks.t.classes: cannot read ${join(root, 'missing.txt')} (ENOENT)`);
    await expect(
      runHeads(config({ mystery: { classes: 'builtin', templates: ['{}'] } }), silent),
    ).rejects.toThrow(
      /heads.yaml: tasks.mystery.classes: no built-in class names and templates for task "mystery"/,
    );
    expect(() => parseHeadsConfig({ model, tasks: {}, output: 'x' }, { source: 'h.yaml' })).toThrow(
      'h.yaml: tasks: expected at least one task',
    );
  });
});
