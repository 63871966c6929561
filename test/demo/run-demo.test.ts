import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoBudget } from '../../src/demo/budget.js';
import { DEMO_ROWS } from '../../src/demo/rows.js';
import { runDemo, selectMethods } from '../../src/demo/run-demo.js';
import { REDUCED_TASKS, reducedSuite } from './reduced-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const suite = reducedSuite(dir);

const TINY: DemoBudget = {
  ttaSteps: 3,
  ttaBatch: 4,
  schedule: 'cosine',
  wemoeLr: 1e-2,
  adamergingLr: 1e-2,
  evalBatch: 10,
  testLimit: 24,
};

/** Anything that would make the page load something (as the report tests define it). */
const EXTERNAL = [
  /\b(?:src|href|xlink:href|action|poster|srcset)\s*=\s*["']?\s*[a-z][a-z0-9+.-]*:/i,
  /url\s*\(/i,
  /@import/i,
  /https?:\/\//i,
  /<(?:script|link|img|iframe|object|embed)\b/i,
];

describe('wemoe demo on a reduced suite', () => {
  it('runs every method end to end and writes the three reports with the expected keys', async () => {
    const lines: string[] = [];
    const out = join(dir, 'all');
    const ids = DEMO_ROWS.map((m) => m.id); // the paper's rows and the extra (ablation) row
    const { report, table, web } = await runDemo(suite, {
      out,
      methods: ids,
      quick: true,
      budget: TINY,
      progress: 'none',
      threads: 1,
      log: (line) => lines.push(line),
    });
    expect(report.methods.map((m) => m.method)).toEqual(ids);
    expect(lines.filter((l) => /^\[\d+\/13\] /.test(l))).toHaveLength(13);

    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(Object.keys(json.methods)).toEqual(ids);
    for (const id of ids) {
      const m = json.methods[id];
      for (const task of REDUCED_TASKS) {
        expect(m[task].accuracy).toBeGreaterThanOrEqual(0);
        expect(m[task].accuracy).toBeLessThanOrEqual(1);
        expect(Number.isFinite(m[task].loss)).toBe(true);
      }
      const mean = REDUCED_TASKS.reduce((s, t) => s + m[t].accuracy, 0) / REDUCED_TASKS.length;
      expect(m.average.accuracy).toBeCloseTo(mean, 12);
      expect(Object.keys(m.timing).sort()).toEqual(['adapt_s', 'eval_s', 'setup_s', 'total_s']);
      expect(m.model_info.all_params).toBeGreaterThan(0);
    }
    expect(json.methods.ties.model_info.trainable_params).toBe(0);
    // Depth 0: one weight per expert per layer (2 layers × 3 experts); task-wise AdaMerging: 3 λ.
    expect(json.methods.wemoe_depth0.model_info.trainable_params).toBe(6);
    expect(json.methods.adamerging_task.model_info.trainable_params).toBe(3);
    expect(json.methods.individual.model_info.all_params).toBe(
      3 * json.methods.pretrained.model_info.all_params,
    );

    const routing = json.details.wemoe_depth2.routing;
    expect(routing.layers).toEqual([0, 1]);
    expect(routing.tasks).toEqual(REDUCED_TASKS);
    expect(routing.mean_weights).toHaveLength(2);
    expect(routing.mean_weights[0]).toHaveLength(3);
    expect(routing.mean_weights[0][0]).toHaveLength(3);
    expect(json.details.wemoe_depth1.tta.loss_curve).toHaveLength(3);
    expect(json.details.adamerging_layer.tta.loss_curve[0].per_task).toHaveProperty('mid');
    expect(json.settings.quick).toBe(true);
    expect(json.settings.changed_hyperparameters.map((c: { name: string }) => c.name)).toContain(
      'wemoe.steps',
    );
    // Rows whose label does not say what they are get a line under the settings.
    const described = json.settings.notes.map((n: string) => n.split(':')[0]);
    expect(described).toEqual(
      expect.arrayContaining(['DARE-Ties', 'WEMoE (depth 2, + attention)', 'WEMoE (depth 2, batch-reduced)']),
    );

    const md = readFileSync(join(out, 'report.md'), 'utf8');
    // What the demo prints: the accuracy table, then which of the paper's findings hold; both in report.md.
    const printed = table.split('\n\n');
    expect(printed[0]).toContain('WEMoE (depth 2)');
    expect(printed[1]).toBe('## Against the paper');
    for (const part of printed) expect(md).toContain(part);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('WEMoE (depth 2)');
    for (const pattern of EXTERNAL) expect(html).not.toMatch(pattern);

    // WEMoE (depth 2) is exported with its web page, and the report says how to open it.
    expect(web?.dir).toBe(join(out, 'web'));
    for (const file of ['index.html', 'app.js', 'onnx/model.onnx', 'preprocessor_config.json'])
      expect(existsSync(join(out, 'web', file)), file).toBe(true);
    const exported = JSON.parse(readFileSync(join(out, 'web', 'config.json'), 'utf8'));
    expect(exported.wemoe.router.router_depth).toBe(2);
    expect(exported.wemoe.tasks.map((t: { name: string }) => t.name)).toEqual(REDUCED_TASKS);
    expect(html).toContain(`wemoe serve ${join(out, 'web')}`);
  }, 60_000);

  it('refuses an output under a file in one line, before any method runs', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'mine');
    let ran = false;
    await expect(
      runDemo(suite, {
        out: join(file, 'out'),
        budget: TINY,
        methods: ['task_arithmetic'],
        progress: 'none',
        threads: 1,
        log: () => {
          ran = true;
        },
      }),
    ).rejects.toThrow(`${join(file, 'out')}: cannot create the output folder`);
    expect(ran).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('mine');
  });

  it('starts WEMoE depth 0 and task-wise AdaMerging at task arithmetic (λ = 0.3): same scores with lr 0', async () => {
    const { report } = await runDemo(suite, {
      out: join(dir, 'identity'),
      budget: { ...TINY, ttaSteps: 1, wemoeLr: 0, adamergingLr: 0, schedule: 'constant' },
      methods: ['task_arithmetic', 'adamerging_task', 'wemoe_depth0'],
      progress: 'none',
      threads: 1,
      log: () => {},
    });
    const [ta, ada, wemoe] = report.methods;
    expect(existsSync(join(dir, 'identity', 'web'))).toBe(false); // WEMoE (depth 2) did not run
    expect(report.settings.notes?.some((n) => n.startsWith('DARE-Ties'))).toBe(false); // not run
    for (const task of REDUCED_TASKS) {
      expect(ada.per_task[task].accuracy).toBe(ta.per_task[task].accuracy);
      expect(wemoe.per_task[task].accuracy).toBe(ta.per_task[task].accuracy);
      expect(ada.per_task[task].loss).toBeCloseTo(ta.per_task[task].loss, 4);
      expect(wemoe.per_task[task].loss).toBeCloseTo(ta.per_task[task].loss, 4);
    }
  }, 30_000);

  it("runs the paper's rows and the batch-reduced WEMoE by default, the attention ablation on request", () => {
    const all = selectMethods().map((m) => m.id);
    expect(all).toHaveLength(12);
    expect(all.slice(-2)).toEqual(['wemoe_depth2', 'wemoe_depth2_batch_reduce']);
    expect(all).not.toContain('wemoe_depth2_attention');
    expect(selectMethods(['wemoe_depth2_attention', 'ties']).map((m) => m.id)).toEqual([
      'ties',
      'wemoe_depth2_attention',
    ]);
  });

  it('rejects an unknown method id, naming the known ones', () => {
    expect(() => selectMethods(['ties', 'nope'])).toThrow(
      /--methods nope: unknown; known methods: pretrained/,
    );
  });
});
