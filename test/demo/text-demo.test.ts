import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoBudget } from '../../src/demo/budget.js';
import { runDemo, selectMethods } from '../../src/demo/run-demo.js';
import { loadTextSuite, TEXT_SUITE_TASKS } from '../../src/demo/text-suite.js';
import { ROWS_PER_TASK, writeReducedTextSuite } from './reduced-text-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-text-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = join(dir, 'text-suite');
writeReducedTextSuite(root);

const TINY: DemoBudget = {
  ttaSteps: 2,
  ttaBatch: 3,
  schedule: 'cosine',
  wemoeLr: 1e-2,
  adamergingLr: 1e-2,
  evalBatch: 4,
  testLimit: ROWS_PER_TASK,
};

describe('wemoe demo --suite text on a reduced suite', () => {
  it('runs every method end to end and writes the GLUE reports with the expected keys', async () => {
    const suite = await loadTextSuite({ root, limit: TINY.testLimit });
    expect(suite.tasks.map((t) => [t.name, t.rows.length])).toEqual(
      TEXT_SUITE_TASKS.map((t) => [t, ROWS_PER_TASK]),
    );
    const lines: string[] = [];
    const out = join(dir, 'out');
    const { report, table } = await runDemo(suite, {
      out,
      quick: true,
      budget: TINY,
      progress: 'none',
      threads: 1,
      log: (line) => lines.push(line),
    });
    const ids = selectMethods(undefined, { text: true }).map((m) => m.id);
    expect(ids).toHaveLength(12);
    expect(report.methods.map((m) => m.method)).toEqual(ids);
    expect(lines.filter((l) => /^\[\d+\/12\] /.test(l))).toHaveLength(12);
    expect(existsSync(join(out, 'web'))).toBe(false); // the web page is the vision demo's

    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.tasks).toEqual([...TEXT_SUITE_TASKS]);
    expect(json.task_metrics.stsb).toBe('spearman');
    expect(json.task_metrics.cola).toBe('accuracy');
    expect(Object.keys(json.methods)).toEqual(ids);
    for (const id of ids) {
      const m = json.methods[id];
      for (const task of TEXT_SUITE_TASKS.filter((t) => t !== 'stsb')) {
        // Six rows per task: an accuracy is a multiple of 1/6.
        expect(m[task].accuracy * ROWS_PER_TASK).toBeCloseTo(Math.round(m[task].accuracy * ROWS_PER_TASK), 9);
        expect(m[task].loss).toBeUndefined();
      }
      expect(m.stsb.spearman_rho).toBeGreaterThanOrEqual(-1);
      expect(m.stsb.spearman_rho).toBeLessThanOrEqual(1);
      const scores = TEXT_SUITE_TASKS.map((t) => m[t].accuracy ?? m[t].spearman_rho);
      expect(m.average.accuracy).toBeCloseTo(scores.reduce((s, v) => s + v, 0) / scores.length, 12);
      expect(Object.keys(m.timing).sort()).toEqual(['adapt_s', 'eval_s', 'setup_s', 'total_s']);
    }
    const pretrained = json.methods.pretrained.model_info.all_params;
    expect(json.methods.individual.model_info.all_params).toBe(8 * pretrained);
    expect(json.methods.ties.model_info.trainable_params).toBe(0);
    expect(json.methods.adamerging_task.model_info.trainable_params).toBe(8);
    // Depth 0: one weight per expert per upscaled block, one block in the encoder and one in the decoder.
    expect(json.methods.wemoe_depth0.model_info.trainable_params).toBe(2 * 8);

    for (const field of ['routing', 'decoder_routing']) {
      const routing = json.details.wemoe_depth2[field];
      expect(routing.layers).toEqual([0]);
      expect(routing.tasks).toEqual([...TEXT_SUITE_TASKS]);
      expect(routing.experts).toEqual([...TEXT_SUITE_TASKS]);
      expect(routing.mean_weights[0]).toHaveLength(8);
      for (const row of routing.mean_weights[0]) for (const w of row) expect(Number.isFinite(w)).toBe(true);
    }
    expect(json.details.wemoe_depth1.tta.loss_curve).toHaveLength(2);
    expect(json.details.adamerging_layer.tta.loss_curve[0].per_task).toHaveProperty('stsb');
    const changed = json.settings.changed_hyperparameters.map((c: { name: string }) => c.name);
    expect(changed).toEqual(expect.arrayContaining(['wemoe.steps', 'test prompts per task']));
    expect(changed).not.toContain('test images per task');

    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(table.split('\n\n')[0]).toContain('STS-B');
    expect(md).toContain(table.split('\n\n')[0]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('WEMoE (depth 2), encoder routers');
    expect(html).toContain('WEMoE (depth 2), decoder routers');
  }, 120_000);

  it('starts WEMoE depth 0 at task arithmetic (λ = 0.3): same scores, every routing weight 0.3, with lr 0', async () => {
    const suite = await loadTextSuite({ root, limit: TINY.testLimit });
    const { report } = await runDemo(suite, {
      out: join(dir, 'identity'),
      budget: { ...TINY, ttaSteps: 1, wemoeLr: 0, schedule: 'constant' },
      methods: ['task_arithmetic', 'wemoe_depth0'],
      progress: 'none',
      threads: 1,
      log: () => {},
    });
    const [ta, wemoe] = report.methods;
    for (const task of TEXT_SUITE_TASKS)
      expect(wemoe.per_task[task].accuracy).toBe(ta.per_task[task].accuracy);
    for (const routing of [wemoe.routing!, wemoe.decoder_routing!])
      for (const row of routing.mean_weights[0]) for (const w of row) expect(w).toBeCloseTo(0.3, 6);
  }, 60_000);

  it('refuses the attention ablation on T5 in one line (only feed-forward modules are upscaled)', () => {
    expect(() => selectMethods(['wemoe_depth2_attention'], { text: true })).toThrow(
      /--methods wemoe_depth2_attention: unknown; known methods: pretrained/,
    );
  });

  it('names the missing model folder in one line when the suite has no models', async () => {
    await expect(loadTextSuite({ root: join(dir, 'nowhere') })).rejects.toThrow(
      `${join(dir, 'nowhere', 'models', 'pretrained')}: no config.json; the text suite's models are missing`,
    );
  });
});
