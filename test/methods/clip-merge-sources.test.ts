import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMergeConfig } from '../../src/config/merge-config.js';
import { openCheckpoint, writeConfig } from '../../src/io/checkpoint.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { runMerge } from '../../src/methods/run-merge.js';
import { saveClipModel } from '../../src/models/clip-model.js';
import { loadClipText } from '../../src/models/clip-text/checkpoint.js';
import { saveClipVision } from '../../src/models/clip-vision/checkpoint.js';
import { clipVisionConfigJson } from '../../src/models/clip-vision/config.js';
import { type ClipParams, randomClipParams } from '../../src/models/clip-vision/params.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { writeTinyClipModel } from '../models/clip-text/tiny-clip-model.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-clip-merge-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const full = join(root, 'full');
const { vision, text, params } = writeTinyClipModel(full);
const visionOf = (p: ReadonlyMap<string, Tensor>): ClipParams =>
  new Map([...p].filter(([n]) => n.startsWith('vision_model.')));
const expertA = randomClipParams(vision, 21);
const expertB = randomClipParams(vision, 22);

/** A CLIPVisionModel folder whose keys lack the `vision_model.` prefix. */
function saveUnprefixed(dir: string, p: ClipParams): void {
  mkdirSync(dir, { recursive: true });
  const tensors = Object.fromEntries([...p].map(([n, t]) => [n.slice('vision_model.'.length), t]));
  saveSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeConfig(dir, clipVisionConfigJson(vision));
}

// Experts a (CLIPVisionModel) and b (unprefixed keys).
saveClipVision(join(root, 'a'), vision, expertA);
saveUnprefixed(join(root, 'b'), expertB);

function taskArithmetic(pretrained: string, experts: Record<string, string>, output: string) {
  return runMerge(
    parseMergeConfig({
      method: 'task_arithmetic',
      parameters: { scaling_factor: 0.5 },
      models: { pretrained, experts },
      output,
    }),
    { progress: 'none', log: () => {} },
  );
}

function sameValues(a: Float32Array, b: Tensor['data']): boolean {
  return a.length === b.length && a.every((v, i) => v === Number(b[i]));
}

/** pre + 0.5·Σ(expert − pre), in float64. */
function expected(name: string, pre: ClipParams): Float64Array {
  const p = pre.get(name)!.data as Float32Array;
  const a = expertA.get(name)!.data as Float32Array;
  const b = expertB.get(name)!.data as Float32Array;
  return Float64Array.from(p, (v, i) => v + 0.5 * (a[i] - v + (b[i] - v)));
}

describe('static merges of CLIP checkpoints of mixed layouts', () => {
  it('a full CLIPModel pretrained with vision experts: the vision tower merged, the rest kept exactly', async () => {
    const output = join(root, 'merged-full');
    const result = await taskArithmetic(full, { a: join(root, 'a'), b: join(root, 'b') }, output);
    // The vision tower is merged; the text tower, projections and logit_scale pass through unchanged.
    expect(result.report?.tensors?.merged).toBe(visionOf(params).size);
    const merged = openCheckpoint(output);
    expect(merged.names().sort()).toEqual([...params.keys()].sort());
    for (const [name, tensor] of params) {
      const got = merged.readF32(name);
      if (name.startsWith('vision_model.')) {
        const want = expected(name, visionOf(params));
        got.forEach((v, i) => {
          expect(Math.abs(v - want[i])).toBeLessThan(1e-6);
        });
      } else {
        expect(got).toEqual(tensor.data);
      }
    }
    merged.close();
    // The output is a full CLIPModel again: its text tower loads.
    expect(loadClipText(output).params.size).toBe(
      [...params.keys()].filter((n) => n.startsWith('text')).length,
    );
  });

  for (const method of ['ties', 'dare']) {
    it(`${method} keeps the full pretrained model's tensors outside the vision tower exactly`, async () => {
      const output = join(root, `merged-${method}`);
      const config = parseMergeConfig({
        method,
        models: { pretrained: full, experts: { a: join(root, 'a'), b: join(root, 'b') } },
        output,
      });
      await runMerge(config, { progress: 'none', log: () => {} });
      const merged = openCheckpoint(output);
      for (const [name, tensor] of params) {
        if (!name.startsWith('vision_model.')) expect(merged.readF32(name)).toEqual(tensor.data);
      }
      // Ties' global trim runs over the vision tower alone (the experts' parameters), as FusionBench's.
      const changed = [...visionOf(params)].filter(([name, t]) => !sameValues(merged.readF32(name), t.data));
      expect(changed.length).toBeGreaterThan(0);
      merged.close();
    });
  }

  it('a vision pretrained with full CLIPModel experts: their vision towers merged', async () => {
    const pre = visionOf(params);
    saveClipVision(join(root, 'pre-vision'), vision, pre);
    const withVision = (p: ClipParams) => new Map([...params, ...p]);
    saveClipModel(join(root, 'full-a'), { vision, text }, withVision(expertA));
    saveClipModel(join(root, 'full-b'), { vision, text }, withVision(expertB));
    const output = join(root, 'merged-vision');
    await taskArithmetic(
      join(root, 'pre-vision'),
      { a: join(root, 'full-a'), b: join(root, 'full-b') },
      output,
    );
    const merged = openCheckpoint(output);
    expect(merged.names().sort()).toEqual([...pre.keys()].sort());
    const name = 'vision_model.encoder.layers.1.mlp.fc1.weight';
    const want = expected(name, pre);
    merged.readF32(name).forEach((v, i) => {
      expect(Math.abs(v - want[i])).toBeLessThan(1e-6);
    });
    merged.close();
  });

  it('still names a vision tensor an expert lacks', async () => {
    const partial = new Map(expertA);
    partial.delete('vision_model.post_layernorm.bias');
    const dir = join(root, 'partial');
    mkdirSync(dir, { recursive: true });
    saveSafetensors(join(dir, 'model.safetensors'), Object.fromEntries(partial), { format: 'pt' });
    writeConfig(dir, clipVisionConfigJson(vision));
    await expect(taskArithmetic(full, { a: dir }, join(root, 'never'))).rejects.toThrow(
      /expert 'a' \(.*partial.*\) lacks 'vision_model.post_layernorm.bias'/,
    );
  });
});
